"""`pip install .` gives a `loyalty` command that works outside the checkout, with the app.toml it ships.

Offline and bounded: the wheel is built without build isolation and installed without an index into a venv
in tmp that borrows the test environment's installed dependencies through a .pth line. A plain path line does
not run that environment's own .pth files, so the checkout's editable install stays out of sight.
"""

import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from tests.conftest import TOKEN_KEY

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ["pyproject.toml", "README.md", "LICENSE", "app.toml", "plugin", "webhooks", "storefront_widget", "admin"]


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command to its end (at most a minute) and fail with its output if it fails."""
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp_path: Path) -> Path:
    """The project's wheel, built from a copy so the checkout gets no build/ folder."""
    source = tmp_path / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    pip = (sys.executable, "-m", "pip")
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", wheels, source, cwd=tmp_path)
    return next(wheels.glob("loyalty-*.whl"))


def install_into_fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new venv holding the wheel; its dependencies come from the test environment's site-packages."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path)
    Path(purelib.stdout.strip(), "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path
    )
    return venv


def test_pip_install_gives_a_loyalty_command_that_migrates_a_database_outside_the_checkout(tmp_path: Path) -> None:
    venv = install_into_fresh_venv(tmp_path, build_wheel(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'loyalty.db'}",
        "LOYALTY_SECRET_KEY": "test-secret-key",
        "LOYALTY_TOKEN_KEYS": TOKEN_KEY,
    }

    where = run(venv / "bin" / "python", "-c", "import plugin.settings as s; print(s.APP_TOML)", cwd=elsewhere, env=env)
    assert where.stdout.startswith(str(venv)) and Path(where.stdout.strip()).is_file()
    assert "db-upgrade" in run(venv / "bin" / "loyalty", "--help", cwd=elsewhere, env=env).stdout
    # The catalogs ship with the code: the installed app speaks Dutch, not its keys.
    dutch = "from plugin.i18n import languages, text; print(languages(), text('mail.hello', 'nl'))"
    assert run(venv / "bin" / "python", "-c", dutch, cwd=elsewhere, env=env).stdout == "('en', 'nl') Hallo,\n"
    run(venv / "bin" / "loyalty", "db-upgrade", cwd=elsewhere, env=env)

    with sqlite3.connect(tmp_path / "loyalty.db") as database:
        assert database.execute("SELECT version_num FROM alembic_version").fetchone() is not None


def test_the_wheel_ships_the_built_widget_with_its_gzipped_twin(tmp_path: Path) -> None:
    # Without the .gz an installed app answers 404 to every browser that accepts gzip.
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        shipped = set(wheel.namelist())
    built = {f"storefront_widget/static/{path.name}" for path in (ROOT / "storefront_widget" / "static").iterdir()}
    assert any(name.endswith(".js.gz") for name in built)
    assert built <= shipped
