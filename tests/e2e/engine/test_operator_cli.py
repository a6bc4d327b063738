"""The operator's commands: list shops, show and set a program, find a member; shops named by id or domain,
and every mistake one line without a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from plugin.rules.program import Program, ProgramError
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.privacy import erase_customer
from plugin.services.records import ConsentSource
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from webhooks.cli import main

TOKEN_KEY = Fernet.generate_key().decode()

Loyalty = Callable[..., Result]


@pytest.fixture
def loyalty(database_url: str) -> Loyalty:
    """`loyalty` with the given arguments, on the test's database."""

    def run(*args: str) -> Result:
        env = {"DATABASE_URL": database_url, "LOYALTY_SECRET_KEY": "test-secret-key", "LOYALTY_TOKEN_KEYS": TOKEN_KEY}
        return CliRunner().invoke(main, list(args), env=env)

    return run


@pytest.fixture
def shopify(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "shopify", "ann.myshopify.com", program, currency="EUR")


@pytest.fixture
def saleor(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "saleor", "https://bob.example.com/graphql/", program, currency="USD")


def live_version(uow: SqlUnitOfWork, shop: Shop) -> tuple[int, Program]:
    with uow.read(shop.id) as tx:
        return tx.programs.current()


def one_line_error(result: Result, line: str) -> None:
    assert (result.exit_code, result.output) == (1, f"Error: {line}\n")
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)


def test_shops_lists_every_shop_with_its_members(
    loyalty: Loyalty, uow: SqlUnitOfWork, clock: FrozenClock, shopify: Shop, saleor: Shop
) -> None:
    opt_in(uow, clock, shopify.id, "7001", "ann@example.com", ConsentSource.WIDGET)
    opt_in(uow, clock, shopify.id, "7002", "cas@example.com", ConsentSource.WIDGET)
    opt_in(uow, clock, shopify.id, "7003", "dee@example.com", ConsentSource.WIDGET)
    erase_customer(uow, clock, shopify.id, customer_ref="7003")

    listed = loyalty("shops", "--json")

    assert listed.exit_code == 0, listed.output
    assert [json.loads(line) for line in listed.output.splitlines()] == [
        {
            "id": shopify.id,
            "platform": "shopify",
            "domain": "ann.myshopify.com",
            "installed": True,
            "currency": "EUR",
            "members": 2,
        },
        {
            "id": saleor.id,
            "platform": "saleor",
            "domain": "https://bob.example.com/graphql/",
            "installed": True,
            "currency": "USD",
            "members": 0,
        },
    ]
    assert (
        loyalty("shops").output.splitlines()[0]
        == f"{shopify.id}\tshopify\tann.myshopify.com\tinstalled\tEUR\t2 members"
    )


@pytest.mark.parametrize("name", ["id", "domain"])
def test_program_show_names_the_shop_by_id_or_domain(
    loyalty: Loyalty, uow: SqlUnitOfWork, shopify: Shop, saleor: Shop, name: str
) -> None:
    for shop in (shopify, saleor):
        shown = loyalty("program", "show", "--shop", str(shop.id) if name == "id" else shop.domain)

        assert shown.exit_code == 0, shown.output
        version, program = live_version(uow, shop)
        assert json.loads(shown.output) == {"version": version, "program": program.to_data()}


def test_an_unknown_shop_is_one_line_in_every_command(loyalty: Loyalty, shopify: Shop) -> None:
    for args in (
        ["program", "show"],
        ["member", "find", "--email", "ann@example.com"],
        ["job", "all"],
        ["reconcile"],
        ["dead-letters"],
        ["verify"],
        ["export", "--email", "ann@example.com"],
        ["adjust", "--member", "1", "--points", "5", "--reason", "x"],
    ):
        one_line_error(loyalty(*args, "--shop", "nobody.myshopify.com"), "no shop named nobody.myshopify.com")
    one_line_error(loyalty("program", "show", "--shop", "999"), "no shop named 999")
    one_line_error(loyalty("program", "show", "--shop", "9" * 30), f"no shop named {'9' * 30}")


def test_a_good_program_file_becomes_a_new_version_by_the_cli(
    loyalty: Loyalty, uow: SqlUnitOfWork, shopify: Shop, tmp_path: Path
) -> None:
    before, _ = live_version(uow, shopify)
    toml = tmp_path / "program.toml"
    toml.write_text('points_per_unit = "2"\npending_days = 7\n', encoding="utf-8")

    stored = loyalty("program", "set", "--shop", shopify.domain, str(toml))

    assert (stored.exit_code, stored.output) == (0, f"program version {before + 1} is live\n")
    version, program = live_version(uow, shopify)
    assert (version, program.points_per_unit, program.pending_days) == (before + 1, 2, 7)
    with uow.read(shopify.id) as tx:
        assert tx.programs.versions()[0]["created_by"] == "cli"


def test_what_program_show_prints_program_set_takes_back(
    loyalty: Loyalty, uow: SqlUnitOfWork, shopify: Shop, tmp_path: Path
) -> None:
    shown = tmp_path / "program.json"
    shown.write_text(loyalty("program", "show", "--shop", str(shopify.id)).output, encoding="utf-8")
    before, program = live_version(uow, shopify)

    assert loyalty("program", "set", "--shop", str(shopify.id), str(shown)).exit_code == 0
    assert live_version(uow, shopify) == (before + 1, program)


def test_a_bad_program_file_says_each_problem_as_the_editor_does_and_changes_nothing(
    loyalty: Loyalty, uow: SqlUnitOfWork, shopify: Shop, tmp_path: Path
) -> None:
    data = {"points_per_unit": -1, "pending_days": 400, "colour": "red"}
    bad = tmp_path / "program.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    before = live_version(uow, shopify)
    with pytest.raises(ProgramError) as editor:  # what the program editor checks and shows
        Program.parse(data)

    refused = loyalty("program", "set", "--shop", str(shopify.id), str(bad))

    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)
    assert refused.output.splitlines() == [
        "Error: the program was refused, nothing changed:",
        *(f"{problem.field}: {problem.message}" for problem in editor.value.problems),
    ]
    assert len(editor.value.problems) == 3
    assert live_version(uow, shopify) == before


def test_an_unreadable_program_file_is_one_line_and_changes_nothing(
    loyalty: Loyalty, uow: SqlUnitOfWork, shopify: Shop, tmp_path: Path
) -> None:
    before = live_version(uow, shopify)
    broken = tmp_path / "program.toml"
    broken.write_text("points_per_unit = = 2\n", encoding="utf-8")
    missing = tmp_path / "missing.json"
    text = tmp_path / "program.txt"
    text.write_text("{}", encoding="utf-8")

    toml_error = loyalty("program", "set", "--shop", str(shopify.id), str(broken))
    assert toml_error.exit_code == 1 and toml_error.output.startswith("Error: TOMLDecodeError: ")
    assert len(toml_error.output.splitlines()) == 1
    one_line_error(loyalty("program", "set", "--shop", str(shopify.id), str(missing)), f"no such file: {missing}")
    one_line_error(
        loyalty("program", "set", "--shop", str(shopify.id), str(text)),
        f"{text}: a program file ends in .toml or .json",
    )
    assert live_version(uow, shopify) == before


@pytest.mark.parametrize("key", ["--email", "--customer"])
def test_member_find_shows_a_member_by_email_or_customer_id(
    loyalty: Loyalty, uow: SqlUnitOfWork, clock: FrozenClock, shopify: Shop, key: str
) -> None:
    member = opt_in(uow, clock, shopify.id, "7001", "ann@example.com", ConsentSource.WIDGET)
    value = "ann@example.com" if key == "--email" else "7001"

    found = loyalty("member", "find", "--shop", shopify.domain, key, value)

    assert found.exit_code == 0, found.output
    assert json.loads(found.output) == {
        "id": member.id,
        "customer": "7001",
        "email": "ann@example.com",
        "status": "active",
        "available": member.available,
        "pending": member.pending,
        "lifetime": member.lifetime,
        "debt": 0,
        "tier": member.tier,
    }


def test_member_find_says_when_there_is_no_such_member(
    loyalty: Loyalty, uow: SqlUnitOfWork, clock: FrozenClock, shopify: Shop
) -> None:
    opt_in(uow, clock, shopify.id, "7003", "dee@example.com", ConsentSource.WIDGET)
    erase_customer(uow, clock, shopify.id, customer_ref="7003")

    one_line_error(
        loyalty("member", "find", "--shop", str(shopify.id), "--customer", "7003"), "no member with customer id 7003"
    )
    one_line_error(
        loyalty("member", "find", "--shop", str(shopify.id), "--email", "zed@example.com"),
        "no member with e-mail zed@example.com",
    )
    both = loyalty("member", "find", "--shop", str(shopify.id))
    assert both.exit_code == 2 and "give --email or --customer" in both.output and "Traceback" not in both.output


def test_a_refused_adjustment_and_a_malformed_date_are_one_line(loyalty: Loyalty, shopify: Shop) -> None:
    one_line_error(
        loyalty("adjust", "--shop", shopify.domain, "--member", "999", "--points", "5", "--reason", "x"),
        "not_a_member: 999",
    )
    malformed = loyalty("reconcile", "--shop", str(shopify.id), "--since", "last tuesday")
    assert malformed.exit_code == 1 and malformed.output.startswith("Error: ValueError: Invalid isoformat")


def test_a_credential_without_a_value_is_refused_before_anything_is_registered(loyalty: Loyalty) -> None:
    refused = loyalty("register-shop", "--platform", "shopify", "--domain", "c.myshopify.com", "--credential", "token")

    assert refused.exit_code == 2 and "--credential takes key=value, not 'token'" in refused.output
    assert loyalty("shops").output == ""
