"""The admin's words in English and Dutch. Keys are English-ish ids; a missing Dutch text falls back to English."""

from __future__ import annotations

import re

LANGUAGES = ("en", "nl")

TEXTS: dict[str, tuple[str, str]] = {
    # key: (English, Dutch)
    "app": ("Loyalty points", "Spaarpunten"),
    "nav.program": ("Program", "Programma"),
    "nav.members": ("Members", "Leden"),
    "nav.analytics": ("Analytics", "Analyse"),
    "nav.import": ("Import / export", "Import / export"),
    "nav.setup": ("Setup", "Installatie"),
    "nav.dead_letters": ("Failed updates", "Mislukte updates"),
    "nav.logout": ("Log out", "Uitloggen"),
    "login.title": ("Staff login", "Inloggen voor medewerkers"),
    "login.shop": ("Shop domain or API URL", "Winkeldomein of API-URL"),
    "login.platform": ("Platform", "Platform"),
    "login.password": ("Password", "Wachtwoord"),
    "login.submit": ("Log in", "Inloggen"),
    "login.failed": ("Unknown shop or wrong password.", "Onbekende winkel of verkeerd wachtwoord."),
    "login.disabled": (
        "The development login is off: set LOYALTY_ADMIN_PASSWORD to use it. Inside Shopify admin or the "
        "Saleor dashboard you are signed in automatically.",
        "De ontwikkellogin staat uit: zet LOYALTY_ADMIN_PASSWORD om hem te gebruiken. In de Shopify-admin of "
        "het Saleor-dashboard ben je automatisch ingelogd.",
    ),
    "refused": ("Sign in through your shop's admin to see this page.", "Log in via de beheeromgeving van je winkel."),
    "program.title": ("Program settings", "Programma-instellingen"),
    "program.live": ("Live version", "Actieve versie"),
    "program.save": ("Save as new version", "Opslaan als nieuwe versie"),
    "program.saved": ("Saved as version {version}.", "Opgeslagen als versie {version}."),
    "program.refused": (
        "Nothing was saved: fix the fields marked below.",
        "Niets opgeslagen: verbeter de gemarkeerde velden.",
    ),
    "program.history": ("Version history", "Versiegeschiedenis"),
    "program.version": ("Version", "Versie"),
    "program.when": ("When", "Wanneer"),
    "program.who": ("By", "Door"),
    "program.changes": ("Changes", "Wijzigingen"),
    "program.levels": ("Tier levels", "Niveaus"),
    "program.rewards": ("Rewards", "Beloningen"),
    "program.blank_row": ("Fill in the empty row to add one.", "Vul de lege rij in om er een toe te voegen."),
    "section.earning": ("Earning", "Sparen"),
    "section.earn_basis": ("What counts towards points", "Wat telt mee voor punten"),
    "section.expiry": ("Expiry", "Vervallen"),
    "section.membership": ("Membership", "Lidmaatschap"),
    "section.tiers": ("Tiers", "Niveaus"),
    "sim.title": ("Simulator", "Simulator"),
    "sim.amount": ("Order amount (goods, after discounts)", "Orderbedrag (producten, na korting)"),
    "sim.order": ("or a recent order", "of een recente bestelling"),
    "sim.tier": ("as tier", "als niveau"),
    "sim.none": ("no tier", "geen niveau"),
    "sim.run": ("Simulate with the draft", "Simuleer met het concept"),
    "sim.draft": ("Draft program", "Conceptprogramma"),
    "sim.live": ("Live program", "Actief programma"),
    "sim.points": ("points", "punten"),
    "sim.invalid_amount": ("Enter an amount such as 42.50.", "Vul een bedrag in, zoals 42,50."),
    "members.title": ("Members", "Leden"),
    "members.search": ("Search by e-mail, name or customer id", "Zoek op e-mail, naam of klantnummer"),
    "members.find": ("Search", "Zoeken"),
    "members.none": ("No members found.", "Geen leden gevonden."),
    "requests.title": ("Data requests", "Gegevensverzoeken"),
    "requests.intro": (
        "Customers who asked the shop for the data it holds on them. Download the export, send it to the "
        "customer within 30 days, then mark the request answered.",
        "Klanten die de winkel vroegen om de gegevens die over hen bewaard worden. Download de export, stuur "
        "die binnen 30 dagen naar de klant en markeer het verzoek daarna als beantwoord.",
    ),
    "requests.received": ("Received", "Ontvangen"),
    "requests.export": ("Download export (JSON)", "Export downloaden (JSON)"),
    "requests.mark_answered": ("Mark answered", "Markeren als beantwoord"),
    "requests.answered_on": ("Answered", "Beantwoord"),
    "requests.answered": ("The data request is marked answered.", "Het gegevensverzoek is gemarkeerd als beantwoord."),
    "member.email": ("E-mail", "E-mail"),
    "member.name": ("Name", "Naam"),
    "member.customer": ("Customer id", "Klantnummer"),
    "member.status": ("Status", "Status"),
    "member.available": ("Available", "Beschikbaar"),
    "member.pending": ("Pending", "In afwachting"),
    "member.lifetime": ("Lifetime earned", "Totaal gespaard"),
    "member.tier": ("Tier", "Niveau"),
    "member.language": ("Language", "Taal"),
    "member.consent": ("Consent", "Toestemming"),
    "member.mail": ("Marketing e-mails", "Marketingmails"),
    "member.unsubscribed": ("unsubscribed", "afgemeld"),
    "member.subscribed": ("receives them", "ontvangt ze"),
    "member.no_consent": ("no marketing consent", "geen toestemming voor marketing"),
    "member.history": ("Points history", "Puntengeschiedenis"),
    "member.codes": ("Codes issued", "Uitgegeven codes"),
    "member.no_codes": ("No codes yet.", "Nog geen codes."),
    "member.adjust": ("Adjust points", "Punten corrigeren"),
    "member.adjust_points": ("Points (negative to take away)", "Punten (negatief om af te halen)"),
    "member.adjust_reason": ("Reason (shown to the member)", "Reden (zichtbaar voor het lid)"),
    "member.adjust_submit": ("Adjust", "Corrigeren"),
    "member.adjusted": ("Adjusted. Available now: {available}.", "Gecorrigeerd. Nu beschikbaar: {available}."),
    "member.privacy": ("Privacy (GDPR)", "Privacy (AVG)"),
    "member.export": ("Download all data (JSON)", "Alle gegevens downloaden (JSON)"),
    "member.erase": ("Erase personal data", "Persoonsgegevens wissen"),
    "member.erase_confirm": ("I understand this cannot be undone", "Ik begrijp dat dit niet terug te draaien is"),
    "member.erased": ("The member's personal data was erased.", "De persoonsgegevens van het lid zijn gewist."),
    "member.erase_unconfirmed": (
        "Tick the box to confirm the erasure.",
        "Vink het vakje aan om het wissen te bevestigen.",
    ),
    "error.reason_required": ("An adjustment needs a reason.", "Een correctie heeft een reden nodig."),
    "error.invalid_reason": (
        "A reason has at most 500 characters, without control characters.",
        "Een reden heeft hoogstens 500 tekens, zonder stuurtekens.",
    ),
    "error.not_enough_points": ("The member does not have that many points.", "Het lid heeft niet zoveel punten."),
    "error.invalid_amount": (
        "Enter a whole number of points other than 0, at most {most} either way.",
        "Vul een heel aantal punten in, niet 0 en hoogstens {most} erbij of eraf.",
    ),
    "error.not_a_member": ("This member no longer exists.", "Dit lid bestaat niet meer."),
    "error.refused": ("The request was refused.", "Het verzoek is geweigerd."),
    "col.date": ("Date", "Datum"),
    "col.points": ("Points", "Punten"),
    "col.reason": ("Reason", "Reden"),
    "col.code": ("Code", "Code"),
    "col.reward": ("Reward", "Beloning"),
    "col.status": ("Status", "Status"),
    "col.expires": ("Valid until", "Geldig tot"),
    "analytics.title": ("Analytics", "Analyse"),
    "analytics.period": ("Last {weeks} weeks, from {since}", "Laatste {weeks} weken, vanaf {since}"),
    "analytics.building": (
        "Purchase figures are still being prepared ({done} of {total} orders read); reload in a moment.",
        "De aankoopcijfers worden nog voorbereid ({done} van {total} bestellingen gelezen); laad zo opnieuw.",
    ),
    "analytics.members": ("Members", "Leden"),
    "analytics.active": ("Opted in now", "Nu aangemeld"),
    "analytics.opt_in_rate": ("Opt-in rate", "Aanmeldpercentage"),
    "analytics.opt_in_help": ("members opted in now, of all known buyers", "aangemelde leden van alle bekende kopers"),
    "analytics.issued": ("Points issued", "Punten uitgegeven"),
    "analytics.redeemed": ("Points redeemed", "Punten ingewisseld"),
    "analytics.expired": ("Points expired", "Punten vervallen"),
    "analytics.redemption_rate": ("Redemption rate", "Inwisselpercentage"),
    "analytics.outstanding": ("Outstanding points", "Openstaande punten"),
    "analytics.liability": ("Liability", "Verplichting"),
    "analytics.liability_help": (
        "outstanding points at {value} per point (the most generous fixed-amount reward)",
        "openstaande punten tegen {value} per punt (de gunstigste beloning met vast bedrag)",
    ),
    "analytics.no_value": (
        "no fixed-amount reward to value points",
        "geen beloning met vast bedrag om punten te waarderen",
    ),
    "analytics.weekly": ("Points per week", "Punten per week"),
    "analytics.compare": ("Members against non-members", "Leden tegenover niet-leden"),
    "analytics.group": ("Group", "Groep"),
    "analytics.group_members": ("Members", "Leden"),
    "analytics.group_others": ("Non-members", "Niet-leden"),
    "analytics.buyers": ("Buyers", "Kopers"),
    "analytics.orders": ("Orders", "Bestellingen"),
    "analytics.repeat_rate": ("Repeat purchase rate", "Herhaalaankopen"),
    "analytics.aov": ("Average order value", "Gemiddelde orderwaarde"),
    "analytics.csv": ("Download CSV", "CSV downloaden"),
    "import.title": ("Import and export", "Importeren en exporteren"),
    "import.export": ("Export members and balances (CSV)", "Leden en saldi exporteren (CSV)"),
    "import.help": (
        "Starting balances: a CSV with the columns customer_id and/or email, points, and optionally name and "
        "locale (nl or en). Each row makes the customer a member (consent source: import) and posts the points.",
        "Beginsaldi: een CSV met de kolommen customer_id en/of email, points, en eventueel name en locale (nl of "
        "en). Elke rij maakt de klant lid (bron van toestemming: import) en boekt de punten.",
    ),
    "import.file": ("CSV file", "CSV-bestand"),
    "import.check": ("Check (dry run)", "Controleren (proefrun)"),
    "import.apply": ("Import", "Importeren"),
    "import.skip": ("Skip the bad rows and import the rest", "Sla de foute rijen over en importeer de rest"),
    "import.ok_rows": (
        "{rows} rows are fine, {points} points in total.",
        "{rows} rijen zijn in orde, samen {points} punten.",
    ),
    "import.bad_rows": (
        "{count} rows have errors; nothing is imported unless you skip them:",
        "{count} rijen bevatten fouten; er wordt niets geïmporteerd tenzij je ze overslaat:",
    ),
    "import.line": ("Line", "Regel"),
    "import.done": (
        "Imported: {credited} balances posted, {already} were imported before.",
        "Geïmporteerd: {credited} saldi geboekt, {already} waren al eerder geïmporteerd.",
    ),
    "import.nothing": ("Nothing was imported.", "Er is niets geïmporteerd."),
    "setup.title": ("Order-confirmation e-mails", "E-mails met orderbevestiging"),
    "setup.intro": (
        "Your platform sends the order confirmation before the app hears of the order, so paste one of these "
        "snippets into the template: it shows the points the order will earn under your current program. "
        "Generate it again after you change the program.",
        "Je platform verstuurt de orderbevestiging voordat de app de bestelling ziet. Plak daarom een van deze "
        "fragmenten in de sjabloon: het toont de punten die de bestelling oplevert volgens je huidige programma. "
        "Maak het opnieuw aan als je het programma wijzigt.",
    ),
    "setup.shopify": ("Shopify (Liquid)", "Shopify (Liquid)"),
    "setup.saleor": ("Saleor (Handlebars, SMTP app)", "Saleor (Handlebars, SMTP-app)"),
    "setup.saleor_steps": (
        "In the Saleor dashboard open Apps → SMTP → your configuration → Order confirmed, and paste the snippet "
        "into the MJML template where the points should appear. Save.",
        "Open in het Saleor-dashboard Apps → SMTP → je configuratie → Order confirmed en plak het fragment in de "
        "MJML-sjabloon waar de punten moeten staan. Sla op.",
    ),
    "setup.language": ("Language of the snippet", "Taal van het fragment"),
    "dead.title": ("Failed updates", "Mislukte updates"),
    "dead.intro": (
        "The app tried each of these several times, then stopped. Once the cause is fixed, press Retry.",
        "De app heeft elk van deze een aantal keer geprobeerd en is toen gestopt. Verhelp de oorzaak en druk dan "
        "op Opnieuw proberen.",
    ),
    "dead.none": ("Nothing failed: every update went through.", "Niets mislukt: elke update is verwerkt."),
    "dead.more": ("Showing the latest {shown} of {total}.", "De laatste {shown} van {total} staan hier."),
    "dead.col.reference": ("Reference", "Referentie"),
    "dead.col.what": ("What failed", "Wat er misging"),
    "dead.col.order": ("Order", "Bestelling"),
    "dead.col.member": ("Member", "Lid"),
    "dead.col.when": ("Stopped on", "Gestopt op"),
    "dead.col.tries": ("Tries", "Pogingen"),
    "dead.retry": ("Retry", "Opnieuw proberen"),
    "dead.retried": (
        "Queued again: the app tries it in a moment.",
        "Staat weer in de wachtrij: de app probeert het zo opnieuw.",
    ),
    "dead.not_found": ("That update is not in the list any more.", "Die update staat niet meer in de lijst."),
    "dead.what.order_update": (
        "An order update from {platform} could not be applied",
        "Een orderupdate van {platform} kon niet worden verwerkt",
    ),
    "dead.what.issue_code": (
        "A discount code could not be created in {platform}",
        "Een kortingscode kon niet worden aangemaakt in {platform}",
    ),
    "dead.what.withdraw_code": (
        "An expired discount code could not be removed from {platform}",
        "Een verlopen kortingscode kon niet worden verwijderd uit {platform}",
    ),
    "dead.what.publish_member": (
        "A member's points could not be updated in {platform}",
        "De punten van een lid konden niet worden bijgewerkt in {platform}",
    ),
    "dead.what.publish_order_points": (
        "An order's points could not be saved in {platform}",
        "De punten van een bestelling konden niet worden opgeslagen in {platform}",
    ),
    "dead.what.email": ("An e-mail to a member could not be sent", "Een e-mail aan een lid kon niet worden verstuurd"),
    "dead.what.other": ("A task of the app could not be finished", "Een taak van de app kon niet worden afgerond"),
    "dead.reason.unreachable": ("{platform} could not be reached", "{platform} was niet bereikbaar"),
    "dead.reason.refused": ("{platform} refused it", "{platform} weigerde het"),
    "dead.reason.code_refused": (
        "{platform} refused the code, and the member got the points back",
        "{platform} weigerde de code, en het lid heeft de punten teruggekregen",
    ),
    "dead.reason.uninstalled": ("the app is not installed in the shop", "de app is niet geïnstalleerd in de winkel"),
    "dead.reason.mail_unreachable": ("the mail server could not be reached", "de mailserver was niet bereikbaar"),
    "dead.reason.address_refused": (
        "the mail server refused the member's address",
        "de mailserver weigerde het adres van het lid",
    ),
    "dead.reason.app_error": (
        "an error in the app; support can look it up by its reference",
        "een fout in de app; support kan die opzoeken met de referentie",
    ),
    "platform.shopify": ("Shopify", "Shopify"),
    "platform.saleor": ("Saleor", "Saleor"),
    "platform.demo": ("the demo shop", "de demowinkel"),
    "unsubscribe.title": ("Unsubscribe", "Afmelden"),
    "unsubscribe.ask": (
        "Stop receiving e-mails about tiers and expiring points? You keep getting mails about your own orders and codes.",
        "Geen e-mails meer over niveaus en vervallende punten? Mails over je eigen bestellingen en codes blijven komen.",
    ),
    "unsubscribe.submit": ("Unsubscribe", "Afmelden"),
    "unsubscribe.done": ("You are unsubscribed.", "Je bent afgemeld."),
    "unsubscribe.invalid": ("This link is not valid.", "Deze link is niet geldig."),
}


def text(key: str, language: str, **params: object) -> str:
    """The text for `key` in `language`, with `params` filled in."""
    english, dutch = TEXTS.get(key, (key, key))
    chosen = dutch if language == "nl" and dutch else english
    return chosen.format(**params) if params else chosen


FIELD_LABELS: dict[str, tuple[str, str]] = {
    "points_per_unit": ("Points per currency unit", "Punten per munteenheid"),
    "rounding": ("Rounding", "Afronding"),
    "minimum_order": ("Minimum order amount", "Minimaal orderbedrag"),
    "currency": ("Currency", "Valuta"),
    "pending_days": (
        "Days before points can be spent (return period)",
        "Dagen voordat punten te besteden zijn (retourtermijn)",
    ),
    "refund_shortfall": (
        "When a refund takes more points than are left",
        "Als een terugbetaling meer punten kost dan er zijn",
    ),
    "earn_basis.shipping": ("Shipping", "Verzendkosten"),
    "earn_basis.tax": ("Tax", "Btw"),
    "earn_basis.tips": ("Tips", "Fooien"),
    "earn_basis.gift_cards": ("Gift cards bought", "Gekochte cadeaukaarten"),
    "earn_basis.subtract_order_discounts": ("Subtract order discounts", "Orderkortingen aftrekken"),
    "expiry.mode": ("Points expire", "Punten vervallen"),
    "expiry.months": ("After months", "Na maanden"),
    "enrollment": ("Who joins", "Wie doet mee"),
    "terms_version": ("Program terms version", "Versie van de voorwaarden"),
    "bonuses.signup": ("Welcome bonus (points)", "Welkomstbonus (punten)"),
    "bonuses.birthday": ("Birthday bonus (points)", "Verjaardagsbonus (punten)"),
    "guest_claim.enabled": (
        "Guests can claim earlier orders after joining",
        "Gasten kunnen eerdere bestellingen claimen na aanmelden",
    ),
    "guest_claim.days_kept": ("Days a guest order stays claimable", "Dagen dat een gastbestelling claimbaar blijft"),
    "tiers.measure": ("Tier measure", "Niveau gemeten in"),
    "tiers.period": ("Tier period", "Periode voor niveau"),
    "tiers.downgrade": ("Downgrade", "Terugzetten"),
    "name": ("Name", "Naam"),
    "threshold": ("Threshold", "Drempel"),
    "multiplier": ("Multiplier", "Vermenigvuldiger"),
    "id": ("Id", "Id"),
    "kind": ("Kind", "Soort"),
    "points": ("Points", "Punten"),
    "amount": ("Amount", "Bedrag"),
    "percentage": ("Percentage", "Percentage"),
    "minimum_points": ("Minimum balance", "Minimaal saldo"),
    "valid_days": ("Valid days", "Dagen geldig"),
    "combines_with_order_discounts": ("With order discounts", "Met orderkortingen"),
    "combines_with_product_discounts": ("With product discounts", "Met productkortingen"),
    "combines_with_shipping_discounts": ("With shipping discounts", "Met verzendkortingen"),
}

CHOICE_LABELS: dict[str, tuple[str, str]] = {
    "down": ("round down", "naar beneden"),
    "half_up": ("round half up", "rekenkundig"),
    "up": ("round up", "naar boven"),
    "clamp": ("stop at zero", "stoppen bij nul"),
    "negative": ("allow a negative balance", "negatief saldo toestaan"),
    "none": ("never", "nooit"),
    "after_earning": ("months after earning", "maanden na het sparen"),
    "after_last_activity": ("months after last activity", "maanden na laatste activiteit"),
    "opt_in": ("customers who opt in", "klanten die zich aanmelden"),
    "automatic": ("every customer with an account", "elke klant met een account"),
    "points_earned": ("points earned", "gespaarde punten"),
    "money_spent": ("money spent", "besteed bedrag"),
    "lifetime": ("lifetime", "altijd"),
    "rolling_12_months": ("last 12 months", "laatste 12 maanden"),
    "never": ("never", "nooit"),
    "when_below": ("when below the threshold", "onder de drempel"),
    "fixed_amount": ("fixed amount", "vast bedrag"),
    "free_shipping": ("free shipping", "gratis verzending"),
}


def label(key: str, language: str, table: dict[str, tuple[str, str]]) -> str:
    """A field's or choice's label in `language` from an (English, Dutch) table; the key itself if unlisted."""
    english, dutch = table.get(key, (key, key))
    return dutch if language == "nl" else english


# Validation messages of the program (pydantic's and the engine's own) in Dutch; English is shown as is.
PROBLEMS_NL: tuple[tuple[str, str], ...] = (
    (r"Field required", "Verplicht veld"),
    (r"Input should be greater than or equal to (.+)", r"Moet minstens \1 zijn"),
    (r"Input should be greater than (.+)", r"Moet groter zijn dan \1"),
    (r"Input should be less than or equal to (.+)", r"Mag hoogstens \1 zijn"),
    (r"Input should be less than (.+)", r"Moet kleiner zijn dan \1"),
    (r"Input should be a valid integer.*", "Vul een heel getal in"),
    (r"Input should be a valid decimal|Decimal input should be.*", "Vul een getal in"),
    (r"Input should be a valid number.*", "Vul een getal in"),
    (r"Input should be (.+)", r"Kies \1"),
    (r"String should have at least (\d+) characters?", r"Vul minstens \1 teken(s) in"),
    (r"String should have at most (\d+) characters", r"Hoogstens \1 tekens"),
    (r"String should match pattern .*", "Heeft niet de juiste vorm"),
    (r"tiers must be in ascending order of threshold (.*)", r"Niveaus moeten oplopen in drempel \1"),
    (r"tier names must be unique", "Niveaunamen moeten uniek zijn"),
    (r"reward ids must be unique", "Beloning-id's moeten uniek zijn"),
    (r"a fixed_amount reward needs an amount", "Een beloning met vast bedrag heeft een bedrag nodig"),
    (r"a percentage reward needs a percentage", "Een procentuele beloning heeft een percentage nodig"),
    (r"unknown setting", "Onbekende instelling"),
)


def problem_text(message: str, language: str) -> str:
    """A program validation message in `language`; unknown messages stay as the engine wrote them."""
    if language != "nl":
        return message
    for pattern, dutch in PROBLEMS_NL:
        match = re.fullmatch(pattern, message)
        if match:
            return match.expand(dutch)
    return message
