"""The app's own e-mails to members: points earned, code issued, tier reached, points expiring."""
