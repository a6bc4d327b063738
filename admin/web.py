"""The shop owner's pages under /admin, and the members' unsubscribe link under /email.

Every admin request needs a staff session for one shop (see admin.auth); every read and write below
takes the shop id from that session only.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from admin import auth, charts, program_form, queries
from admin.texts import CHOICE_LABELS, FIELD_LABELS, LANGUAGES, label, problem_text, text
from plugin.ledger.reasons import render as render_reason
from plugin.notifications.tokens import read_unsubscribe_token
from plugin.platforms.saleor.snippets import order_confirmation_handlebars
from plugin.platforms.shopify.snippets import order_confirmation_snippet
from plugin.rules.orders import Line, OrderFacts, OrderState, estimate_points, points_deserved
from plugin.rules.program import Program, ProgramError
from plugin.rules.tiers import multiplier_of
from plugin.services import analytics, balances_import, privacy
from plugin.services.adjust import adjust
from plugin.services.errors import ServiceError
from plugin.services.shops import change_program

if TYPE_CHECKING:
    from webhooks.app import Loyalty

TEMPLATES = Path(__file__).resolve().parent / "templates"
HISTORY_SIZE = 200
DEFAULT_WEEKS = 26
# A page view spends at most about this long on a first build of a large shop's pre-aggregate.
REFRESH_BUDGET_SECONDS = 3.0
# Text columns a spreadsheet would run as a formula if they started with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def admin_blueprint(loyalty: Loyalty) -> Blueprint:
    """The admin and unsubscribe routes, bound to the app's collaborators; one registration line in create_app."""
    # The development login exists only where this is set; embedded staff never need it.
    password = os.environ.get("LOYALTY_ADMIN_PASSWORD")
    sessions = auth.Sessions(loyalty.settings.secret_key)
    # One blueprint so create_app registers it with one line; the unsubscribe link is its only public route.
    pages = Blueprint("admin", __name__, template_folder=str(TEMPLATES))

    # -- staff session -------------------------------------------------------------------------

    open_endpoints = {"admin.login", "admin.saleor_start", "admin.start_session", "admin.unsubscribe"}

    @pages.before_request
    def require_staff() -> BaseResponse | None:
        g.language = _requested_language() or "en"
        g.new_cookie = None
        if request.endpoint in open_endpoints:
            return None
        staff, cookie = _staff_from_request()
        if staff is None:
            return _refused()
        with loyalty.uow() as store:
            shop = store.shop(staff.shop_id)
        if shop is None or not shop.installed:
            return _refused()
        g.staff, g.cookie, g.shop, g.shop_id = staff, cookie, shop, shop.id
        g.language = staff.language
        # Cookie sessions must echo the form token; a header token cannot be sent by another site.
        if (
            request.method == "POST"
            and cookie is not None
            and not sessions.form_token_ok(cookie, request.form.get("csrf", ""))
        ):
            abort(400, "form expired: reload the page")
        return None

    @pages.after_request
    def keep_session(response: BaseResponse) -> BaseResponse:
        if g.get("new_cookie"):
            secure = request.is_secure
            response.set_cookie(
                auth.COOKIE,
                g.new_cookie,
                max_age=auth.SESSION_SECONDS,
                httponly=True,
                secure=secure,
                # Inside the Shopify admin and Saleor dashboard the pages live in a cross-site iframe.
                samesite="None" if secure else "Lax",
                path="/admin",
            )
        response.headers.setdefault("Cache-Control", "no-store")
        shop = g.get("shop")
        if shop is not None and shop.platform == "shopify":
            # Shopify requires embedded apps to allow framing by the shop's admin and nobody else.
            response.headers["Content-Security-Policy"] = (
                f"frame-ancestors https://{shop.domain} https://admin.shopify.com"
            )
        elif shop is None or shop.platform != "saleor":
            # Saleor dashboards live on origins the app is not told, so only they are left open.
            response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response

    def _staff_from_request() -> tuple[auth.StaffSession | None, str | None]:
        now = loyalty.clock.now().timestamp()
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        if token:
            # A token in a header proves itself on every request; no cookie, no form token needed.
            return _verified(token, now), None
        id_token = request.args.get("id_token")
        if id_token:
            # Shopify opens the embedded app with the staff user's session token in the URL.
            staff = _verified(id_token, now, language=request.args.get("locale"))
            if staff is None:
                return None, None
            return _start(staff), g.new_cookie
        cookie = request.cookies.get(auth.COOKIE)
        staff = sessions.load(cookie) if cookie else None
        if staff is None:
            return None, None
        language = _requested_language()
        if language and language != staff.language:
            staff = _start(replace(staff, language=language))
            return staff, g.new_cookie
        return staff, cookie

    def _verified(token: str, now: float, language: str | None = None) -> auth.StaffSession | None:
        try:
            if _is_shopify_token(token):
                shop, actor = auth.shopify_staff(loyalty.uow, loyalty.settings, token, now)
            else:
                shop, actor = auth.saleor_staff(loyalty.uow, token, now)
        except auth.NotStaff:
            return None
        return auth.StaffSession(shop.id, actor, _language(language) or _language(shop.locale) or "en")

    def _start(staff: auth.StaffSession) -> auth.StaffSession:
        g.new_cookie = sessions.dump(staff)
        return staff

    def _refused() -> BaseResponse:
        body = render_template("admin/refused.html", login=bool(password), **_common())
        return Response(body, status=401)

    @pages.get("/admin/login")
    @pages.post("/admin/login")
    def login() -> Any:
        failed = False
        if request.method == "POST" and password:
            platform = request.form.get("platform", "")
            with loyalty.uow() as store:
                shop = store.shop_by_domain(platform, request.form.get("shop", "").strip())
            if shop is not None and shop.installed and auth.password_ok(password, request.form.get("password", "")):
                _start(auth.StaffSession(shop.id, "login", g.language or _language(shop.locale) or "en"))
                return redirect(url_for("admin.program"))
            failed = True
        status = 401 if failed else 200
        return render_template("admin/login.html", enabled=bool(password), failed=failed, **_common()), status

    @pages.post("/admin/logout")
    def logout() -> BaseResponse:
        response = redirect(url_for("admin.login"))
        response.delete_cookie(auth.COOKIE, path="/admin")
        return response

    @pages.get("/admin/saleor")
    def saleor_start() -> Any:
        """The Saleor dashboard's entry: a page whose script hands the dashboard's token to /admin/session."""
        return render_template("admin/saleor_start.html", **_common())

    @pages.post("/admin/session")
    def start_session() -> Any:
        staff = _verified(request.form.get("token", ""), loyalty.clock.now().timestamp(), request.form.get("locale"))
        if staff is None:
            return _refused()
        _start(staff)
        return redirect(url_for("admin.program"))

    # -- program --------------------------------------------------------------------------------

    @pages.get("/admin")
    def home() -> BaseResponse:
        return redirect(url_for("admin.program"))

    @pages.get("/admin/program")
    @pages.post("/admin/program")
    def program() -> Any:
        shop_id = g.staff.shop_id
        with loyalty.uow() as store:
            live_version, live = store.current_program(shop_id)
            versions = store.program_versions(shop_id)
        problems: dict[str, list[str]] = {}
        simulation = None
        status = 200
        if request.method == "POST":
            form = request.form.to_dict()
            data = program_form.program_data(form)
            draft: Program | None = None
            try:
                draft = Program.parse(data)
            except ProgramError as error:
                for problem in error.problems:
                    problems.setdefault(problem.field, []).append(problem_text(problem.message, g.language))
            if request.form.get("action") == "save" and draft is not None:
                version = change_program(loyalty.uow, loyalty.clock, shop_id, data, g.staff.actor)
                return redirect(url_for("admin.program", saved=version))
            simulation = _simulate(shop_id, draft, live, form)
            values = program_form.form_values(data)
            status = 422 if problems else 200
        else:
            values = program_form.form_values(live.to_data())
        return (
            render_template(
                "admin/program.html",
                values=values,
                problems=problems,
                sections=program_form.SECTIONS,
                lists=program_form.LISTS,
                rows={path: program_form.row_count(values, path) for path in program_form.LISTS},
                live_version=live_version,
                saved=request.args.get("saved"),
                history=_history(versions),
                simulation=simulation,
                tiers=[level.name for level in live.tiers.levels],
                orders=queries.recent_orders(loyalty.engine, shop_id),
                **_common(),
            ),
            status,
        )

    def _simulate(shop_id: int, draft: Program | None, live: Program, form: dict[str, str]) -> dict[str, Any]:
        """What one order earns under the draft and the live program, at the chosen tier's multiplier."""
        order_ref = form.get("sim_order", "")
        tier = form.get("sim_tier") or None
        state: OrderState | None = None
        error = None
        if order_ref:
            state = queries.recent_order(loyalty.engine, shop_id, order_ref)
        else:
            try:
                amount = Decimal(form.get("sim_amount", "").strip().replace(",", "."))
                if not amount.is_finite() or amount < 0:
                    raise InvalidOperation
            except InvalidOperation:
                error = text("sim.invalid_amount", g.language)
            else:
                facts = OrderFacts(order_ref="simulation", lines=(Line(ref="sample", amount=amount),), paid=True)
                return {
                    "draft": estimate_points(facts, draft, multiplier_of(tier, draft.tiers)) if draft else None,
                    "live": estimate_points(facts, live, multiplier_of(tier, live.tiers)),
                    "error": None,
                }
        if state is None:
            return {"draft": None, "live": None, "error": error}
        paid = replace(state, paid=True)
        return {
            "draft": points_deserved(paid, draft, multiplier_of(tier, draft.tiers)) if draft else None,
            "live": points_deserved(paid, live, multiplier_of(tier, live.tiers)),
            "error": None,
        }

    # -- members --------------------------------------------------------------------------------

    @pages.get("/admin/members")
    def members(message: str | None = None) -> Any:
        query = request.args.get("q", "")
        found = queries.search_members(loyalty.engine, g.staff.shop_id, query)
        with loyalty.uow.read() as store:
            requests = store.data_requests(g.staff.shop_id)
        return render_template(
            "admin/members.html", query=query, found=found, requests=requests, message=message, **_common()
        )

    @pages.get("/admin/data-requests/<int:request_id>/export")
    def export_requested_data(request_id: int) -> Any:
        with loyalty.uow.read() as store:
            asked = store.data_request(g.staff.shop_id, request_id)
        if asked is None:
            abort(404)
        data = privacy.export_customer(loyalty.uow, g.staff.shop_id, customer_ref=asked.customer_ref, email=asked.email)
        return _json_download(data, f"data-request-{request_id}.json")

    @pages.post("/admin/data-requests/<int:request_id>/answered")
    def answer_data_request(request_id: int) -> Any:
        if not privacy.answer_data_request(loyalty.uow, loyalty.clock, g.staff.shop_id, request_id):
            abort(404)
        return members(message=text("requests.answered", g.language))

    @pages.get("/admin/members/<int:member_id>")
    def member(member_id: int, message: str | None = None, error: str | None = None, status: int = 200) -> Any:
        shop_id = g.staff.shop_id
        with loyalty.uow() as store:
            found = store.member(shop_id, member_id)
            if found is None or found.status == "erased":
                abort(404)
            history = store.history(found.id, HISTORY_SIZE)
            codes = store.redemptions_of(shop_id, found.id)
            consents = store.consents(found.id)
        entries = [{"entry": entry, "reason": render_reason(entry.reason, g.language)} for entry in history]
        return (
            render_template(
                "admin/member.html",
                member=found,
                entries=entries,
                codes=codes,
                consents=consents,
                message=message,
                error=error,
                request_id=uuid.uuid4().hex,
                **_common(),
            ),
            status,
        )

    @pages.post("/admin/members/<int:member_id>/adjust")
    def adjust_points(member_id: int) -> Any:
        try:
            points = int(request.form.get("points", "").strip())
        except ValueError:
            return member(member_id, error=text("error.invalid_amount", g.language), status=422)
        try:
            available = adjust(
                loyalty.uow,
                loyalty.clock,
                g.staff.shop_id,
                member_id,
                points,
                request.form.get("reason", ""),
                g.staff.actor,
                request_id=request.form.get("request_id") or None,
            )
        except ServiceError as refused:
            return member(member_id, error=text(f"error.{refused.code}", g.language), status=422)
        return member(member_id, message=text("member.adjusted", g.language, available=available))

    @pages.get("/admin/members/<int:member_id>/export")
    def export_member(member_id: int) -> Any:
        found = _member_or_404(member_id)
        data = privacy.export_customer(loyalty.uow, g.staff.shop_id, customer_ref=found.customer_ref, email=found.email)
        return _json_download(data, f"member-{member_id}.json")

    @pages.post("/admin/members/<int:member_id>/erase")
    def erase_member(member_id: int) -> Any:
        found = _member_or_404(member_id)
        if request.form.get("confirm") != "yes":
            return member(member_id, error=text("member.erase_unconfirmed", g.language), status=422)
        privacy.erase_customer(
            loyalty.uow, loyalty.clock, g.staff.shop_id, customer_ref=found.customer_ref, email=found.email
        )
        return members(message=text("member.erased", g.language))

    def _json_download(data: dict[str, Any], filename: str) -> Response:
        return Response(
            json.dumps(data, indent=2, default=str),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    def _member_or_404(member_id: int) -> Any:
        with loyalty.uow() as store:
            found = store.member(g.staff.shop_id, member_id)
        if found is None or found.status == "erased":
            abort(404)
        return found

    # -- analytics ------------------------------------------------------------------------------

    def _figures() -> tuple[analytics.Figures, tuple[int, int] | None]:
        """The figures, and (orders done, orders in all) while a first build of the pre-aggregate goes on."""
        shop_id = g.staff.shop_id
        weeks = min(max(request.args.get("weeks", DEFAULT_WEEKS, type=int) or DEFAULT_WEEKS, 4), 104)
        now = loyalty.clock.now()
        complete = queries.refresh(loyalty.engine, shop_id, now, budget=REFRESH_BUDGET_SECONDS)
        with loyalty.uow() as store:
            _version, program = store.current_program(shop_id)
        shown = analytics.figures(queries.SqlAnalytics(loyalty.engine), shop_id, program, now, weeks)
        return shown, None if complete else queries.build_progress(loyalty.engine, shop_id)

    @pages.get("/admin/analytics")
    def analytics_page() -> Any:
        figures, building = _figures()
        with loyalty.uow() as store:
            shop = store.shop(g.staff.shop_id)
        language = g.language
        weekly = charts.bar_chart(
            text("analytics.weekly", language),
            [week.week.strftime("%d-%m") for week in figures.weeks],
            [
                charts.Series(text("analytics.issued", language), "#2563eb", [w.issued for w in figures.weeks]),
                charts.Series(text("analytics.redeemed", language), "#16a34a", [w.redeemed for w in figures.weeks]),
                charts.Series(text("analytics.expired", language), "#dc2626", [w.expired for w in figures.weeks]),
            ],
        )
        groups = [figures.members, figures.others]
        compare = charts.bar_chart(
            text("analytics.aov", language),
            [text("analytics.group_members", language), text("analytics.group_others", language)],
            [charts.Series(text("analytics.aov", language), "#7c3aed", [g_.average_order_value or 0 for g_ in groups])],
        )
        return render_template(
            "admin/analytics.html",
            figures=figures,
            weekly=weekly,
            compare=compare,
            currency=shop.currency if shop else "",
            weeks=len(figures.weeks),
            building=building,
            **_common(),
        )

    @pages.get("/admin/analytics/<name>.csv")
    def analytics_csv(name: str) -> Any:
        figures, _building = _figures()
        tables: dict[str, Callable[[analytics.Figures], list[list[Any]]]] = {
            "weekly": _weekly_rows,
            "summary": _summary_rows,
            "customers": _customer_rows,
        }
        if name not in tables:
            abort(404)
        return _csv(f"{name}.csv", tables[name](figures))

    # -- import / export ------------------------------------------------------------------------

    @pages.get("/admin/members.csv")
    def members_csv() -> Any:
        header = [
            "customer_id",
            "email",
            "name",
            "locale",
            "status",
            "available",
            "pending",
            "lifetime",
            "tier",
            "consent_at",
            "consent_source",
            "terms_version",
        ]

        shop_id = g.staff.shop_id  # the rows stream after the request context has gone

        def rows() -> Iterator[list[Any]]:
            for row in queries.export_members(loyalty.engine, shop_id):
                yield [
                    row["customer_ref"],
                    row["email"],
                    row["name"],
                    row["locale"],
                    row["status"],
                    row["available"],
                    row["pending"],
                    row["lifetime"],
                    row["tier"],
                    row["consent_at"].isoformat() if row["consent_at"] else "",
                    row["consent_source"],
                    row["terms_version"],
                ]

        return _csv("members.csv", rows(), header=header)

    @pages.get("/admin/import")
    @pages.post("/admin/import")
    def import_page() -> Any:
        report = None
        csv_text = ""
        error = None
        if request.method == "POST":
            upload = request.files.get("file")
            csv_text = upload.read().decode("utf-8-sig", errors="replace") if upload else ""
            csv_text = csv_text or request.form.get("csv_text", "")
            apply = request.form.get("action") == "apply"
            try:
                report = balances_import.import_balances(
                    loyalty.uow,
                    loyalty.clock,
                    g.staff.shop_id,
                    csv_text,
                    apply=apply,
                    skip_bad_rows=request.form.get("skip_bad_rows") == "on",
                )
            except ServiceError as refused:
                error = text(f"error.{refused.code}", g.language)
        status = 422 if report is not None and report.errors and not report.applied else 200
        return render_template("admin/import.html", report=report, csv_text=csv_text, error=error, **_common()), status

    # -- setup ----------------------------------------------------------------------------------

    @pages.get("/admin/setup")
    def setup() -> Any:
        language = _language(request.args.get("snippet")) or g.language
        with loyalty.uow() as store:
            _version, live = store.current_program(g.staff.shop_id)
            shop = store.shop(g.staff.shop_id)
        return render_template(
            "admin/setup.html",
            snippet_language=language,
            platform=shop.platform if shop else "",
            saleor=order_confirmation_handlebars(live, language),
            shopify=order_confirmation_snippet(live, "nl" if language == "nl" else "en"),
            **_common(),
        )

    # -- unsubscribe ----------------------------------------------------------------------------

    @pages.get("/email/unsubscribe/<token>")
    @pages.post("/email/unsubscribe/<token>")
    def unsubscribe(token: str) -> Any:
        """A GET only asks (mail scanners follow links); the POST, also RFC 8058 one-click, unsubscribes."""
        named = read_unsubscribe_token(loyalty.settings.secret_key, token)
        member = None
        shop = None
        if named is not None:
            with loyalty.uow() as store:
                member = store.member(named[0], named[1])
                shop = store.shop(named[0])
        if member is None or member.status == "erased" or shop is None:
            g.language = _requested_language() or "en"
            return render_template("admin/unsubscribe.html", state="invalid"), 404
        g.language = _language(member.locale) or _language(shop.locale) or "en"
        if request.method == "POST":
            with loyalty.uow() as store:
                store.update_profile(member.id, unsubscribed=True)
            return render_template("admin/unsubscribe.html", state="done")
        return render_template("admin/unsubscribe.html", state="ask")

    def _common() -> dict[str, Any]:
        """What every admin template needs: language, labels and the form token."""
        cookie = g.get("cookie") or g.get("new_cookie")
        language = g.get("language") or "en"
        return {
            "language": language,
            "languages": LANGUAGES,
            "staff": g.get("staff"),
            "csrf": sessions.form_token(cookie) if cookie else "",
            "field_label": lambda key: label(key, language, FIELD_LABELS),
            "choice_label": lambda key: label(key, language, CHOICE_LABELS),
        }

    @pages.context_processor
    def words() -> dict[str, Any]:
        def t(key: str, **params: object) -> str:
            return text(key, g.get("language") or "en", **params)

        return {"t": t}

    return pages


def _requested_language() -> str | None:
    return _language(request.args.get("lang"))


def _language(value: str | None) -> str | None:
    base = (value or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def _is_shopify_token(token: str) -> bool:
    """Shopify signs session tokens with HS256, Saleor its tokens with RS256."""
    try:
        return jwt.get_unverified_header(token).get("alg") == "HS256"
    except jwt.PyJWTError:
        return False


def _history(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each version with the settings it changed from the one before."""
    history = []
    for index, version in enumerate(versions):
        previous = versions[index + 1]["program"] if index + 1 < len(versions) else None
        changed: list[str] = []
        if previous is not None:
            now_values = program_form.form_values(version["program"])
            before = program_form.form_values(previous)
            changed = sorted(key for key in now_values.keys() | before.keys() if now_values.get(key) != before.get(key))
        history.append({**version, "changed": changed})
    return history


def _weekly_rows(figures: analytics.Figures) -> list[list[Any]]:
    rows: list[list[Any]] = [["week", "issued", "redeemed", "expired"]]
    rows += [[w.week.isoformat(), w.issued, w.redeemed, w.expired] for w in figures.weeks]
    return rows


def _summary_rows(figures: analytics.Figures) -> list[list[Any]]:
    return [
        ["figure", "value"],
        ["period_start", figures.since.isoformat()],
        ["members", figures.counts.members],
        ["active_members", figures.counts.active],
        ["known_customers", figures.counts.customers],
        ["opt_in_rate", _decimal(figures.opt_in_rate)],
        ["points_issued", figures.issued],
        ["points_redeemed", figures.redeemed],
        ["points_expired", figures.expired],
        ["redemption_rate", _decimal(figures.redemption_rate)],
        ["outstanding_available", figures.available],
        ["outstanding_pending", figures.pending],
        ["point_value", _decimal(figures.point_value)],
        ["liability", _decimal(figures.liability)],
    ]


def _customer_rows(figures: analytics.Figures) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["group", "buyers", "repeat_buyers", "repeat_rate", "orders", "revenue", "average_order_value"]
    ]
    for name, group in (("members", figures.members), ("non_members", figures.others)):
        rows.append(
            [
                name,
                group.customers,
                group.repeat_customers,
                _decimal(group.repeat_rate),
                group.orders,
                _decimal(group.revenue),
                _decimal(group.average_order_value),
            ]
        )
    return rows


def _decimal(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.quantize(Decimal('0.0001')).normalize():f}"


def _csv(filename: str, rows: Iterable[list[Any]], header: list[str] | None = None) -> Response:
    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if header:
            writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(value) for value in row])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        lines(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value
