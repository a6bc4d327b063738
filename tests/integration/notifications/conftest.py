"""The SMTP catcher and the app around it, shared by every e-mail test here (defined with the first of them)."""

from tests.integration.notifications.test_member_emails import inbox, loyalty, smtp_port

__all__ = ["inbox", "loyalty", "smtp_port"]
