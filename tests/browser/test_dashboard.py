"""The dashboard in a real browser: Debian's chromium driven by Playwright over `wearhouse serve`.

A small fleet goes through the real pipeline (files -> bronze -> dbt -> gold); the test opens each
page with an admin token, checks that every chart holds data (the Chart.js instances the page
exposes on window.wearhouse.charts), that nothing was logged to the console, and that a reading
posted over HTTP shows up in the live tile within 2 seconds. Screenshots of every page go to
tests/artifacts/ (not committed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from http_server import ServerProcess, make_token

from wearhouse.auth.tokens import Role
from wearhouse.ingest.files import ingest_path
from wearhouse.settings import Settings
from wearhouse.synth import FleetConfig, write_fleet
from wearhouse.transform.service import transform

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TODAY = datetime.now(UTC).date()
CONFIG = FleetConfig(users=10, days=6, seed=11, start=TODAY - timedelta(days=8), hr_interval_s=600)
VIEWPORT = {"width": 1280, "height": 800}
PAGES = {
    "overview": ("fleet-daily",),
    "users": ("user-steps", "user-heart-rate"),
    "cohorts": ("cohort-sleep-bpm", "cohort-steps"),
    "gyms": ("gym-by-date", "gym-by-gym"),
}
CHART_VALUES = """name => {
    const chart = window.wearhouse?.charts?.[name];
    if (!chart) return 0;
    return chart.data.datasets.reduce(
        (n, set) => n + set.data.filter(v => v !== null && v !== undefined).length, 0);
}"""

if not CHROMIUM.exists():
    pytest.skip(
        "/usr/bin/chromium is missing: install Debian's chromium package to run browser tests",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright  # noqa: E402


@dataclass
class Served:
    server: ServerProcess
    admin: str
    device: str


@dataclass
class Tab:
    """A page in its own browser context, and whatever it logged as an error."""

    page: Page
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("dashboard")
    settings = Settings(home=root / "home")
    write_fleet(CONFIG, root / "fleet")
    ingest_path(root / "fleet", settings=settings)
    transform(settings)
    admin = make_token(settings.home, Role.admin)
    device = make_token(settings.home, Role.device)
    with ServerProcess(settings.home) as server:
        yield Served(server, admin, device)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    contexts = []

    def open_(url: str, color_scheme: str = "light") -> Tab:
        context = browser.new_context(
            viewport=VIEWPORT, color_scheme=color_scheme, reduced_motion="reduce"
        )
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.on("console", lambda m: _keep_error(tab, m))
        tab.page.on("pageerror", lambda e: tab.errors.append(f"page error: {e}"))
        tab.page.goto(url)
        return tab

    yield open_
    for context in contexts:
        context.close()


def _keep_error(tab: Tab, message: ConsoleMessage) -> None:
    if message.type == "error":
        tab.errors.append(message.text)


def ready(page: Page) -> None:
    """Wait until the page finished rendering its route (data loaded or a state shown)."""
    page.wait_for_function("document.body.dataset.ready === 'true'", timeout=15_000)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_draws_its_charts_with_data(
    served: Served, open_tab: Callable[..., Tab], scheme: str
) -> None:
    base = served.server.base_url
    tab = open_tab(f"{base}/#token={served.admin}", scheme)
    page = tab.page
    for name, charts in PAGES.items():
        page.goto(f"{base}/#/{name}")
        ready(page)
        assert page.locator(".state.error").count() == 0, page.inner_text("main")
        for chart in charts:
            page.wait_for_function(f"({CHART_VALUES})('{chart}') > 0", timeout=10_000)
            canvas = page.locator(f"canvas[data-chart='{chart}']")
            assert canvas.count() == 1, chart
            assert int(canvas.get_attribute("data-points") or 0) > 0, chart
            box = canvas.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100, (chart, box)
        shot(page, f"dashboard-{name}-{scheme}")
    assert tab.errors == []


def test_overview_shows_the_fleet_and_top_users(
    served: Served, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(f"{served.server.base_url}/#token={served.admin}")
    ready(tab.page)
    kpis = tab.page.locator(".kpi .value").all_inner_texts()
    assert kpis[0] == str(CONFIG.users)
    rows = tab.page.locator("table tbody tr")
    assert rows.count() == min(8, CONFIG.users)
    first_user = rows.first.locator("td").first.inner_text()
    rows.first.click()
    ready(tab.page)
    assert tab.page.url.endswith(f"#/users/{first_user}")
    assert tab.page.locator("h1").inner_text() == f"User {first_user}"
    assert tab.page.locator("table tbody tr").count() > 0  # the user's workouts
    assert tab.errors == []


def test_the_token_in_the_fragment_is_kept_and_removed_from_the_address_bar(
    served: Served, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(f"{served.server.base_url}/#token={served.admin}")
    ready(tab.page)
    assert "token" not in tab.page.url
    assert tab.page.evaluate("localStorage.getItem('wearhouse.token')") == served.admin
    tab.page.reload()
    ready(tab.page)
    assert tab.page.locator("canvas[data-chart='fleet-daily']").count() == 1


def test_a_posted_reading_appears_in_the_live_tile_within_2_seconds(
    served: Served, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(f"{served.server.base_url}/#token={served.admin}")
    page = tab.page
    ready(page)
    page.wait_for_selector("#live-tile .live-status[data-state='open']", timeout=10_000)
    now = datetime.now(UTC).replace(microsecond=0)
    readings = [
        {"device_id": "d00001", "ts": (now - timedelta(seconds=10)).isoformat(), "bpm": 131},
        {"device_id": "d00001", "ts": now.isoformat(), "bpm": 137},
    ]
    response = httpx.post(
        f"{served.server.base_url}/v1/ingest/heart_rate",
        json=readings,
        headers={"Authorization": f"Bearer {served.device}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    # The 202 comes after the bronze commit, which is when the feed sends the readings.
    page.wait_for_function(
        """() => [...document.querySelectorAll('#live-readings li[data-device="d00001"]')]
                 .some(li => li.textContent.includes('137 bpm'))""",
        timeout=2_000,
    )
    assert page.locator("#live-bpm").inner_text() == "137"
    assert page.evaluate("(" + CHART_VALUES + ")('live-heart-rate')") >= 2
    page.locator("#live-tile").screenshot(path=str(ARTIFACTS / "dashboard-live-tile.png"))
    shot(page, "dashboard-overview-live")
    assert tab.errors == []


def test_without_a_token_the_page_asks_for_one(
    served: Served, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(f"{served.server.base_url}/")
    ready(tab.page)
    assert tab.page.locator("#token-dialog[open]").count() == 1
    assert "token" in tab.page.inner_text("main").lower()
    shot(tab.page, "dashboard-no-token")
    tab.page.fill("#token-input", served.admin)
    tab.page.click("#token-form button[type=submit]")
    tab.page.wait_for_selector("canvas[data-chart='fleet-daily']", timeout=10_000)
    tab.page.wait_for_selector("#live-tile .live-status[data-state='open']", timeout=10_000)


def test_before_any_transform_the_page_says_to_run_it(
    tmp_path: Path, open_tab: Callable[..., Tab]
) -> None:
    home = tmp_path / "empty"
    token = make_token(home, Role.admin)
    with ServerProcess(home) as empty:
        tab = open_tab(f"{empty.base_url}/#token={token}")
        page = tab.page
        page.wait_for_function(
            "document.querySelector('main').innerText.includes('No gold yet')", timeout=20_000
        )
        assert "wearhouse transform" in page.inner_text("main")
        shot(page, "dashboard-not-built")


def test_a_user_token_sees_its_own_page_and_not_the_fleet(
    served: Served, open_tab: Callable[..., Tab]
) -> None:
    token = make_token(served.server.home, Role.user, "u0002")
    tab = open_tab(f"{served.server.base_url}/#token={token}")
    ready(tab.page)
    assert "cannot see this page" in tab.page.inner_text("main")
    tab.page.goto(f"{served.server.base_url}/#/users")
    ready(tab.page)
    tab.page.fill("input[aria-label='User id']", "u0002")
    tab.page.press("input[aria-label='User id']", "Enter")
    tab.page.wait_for_function(f"({CHART_VALUES})('user-steps') > 0", timeout=10_000)
    assert tab.page.locator("h1").inner_text() == "User u0002"
    shot(tab.page, "dashboard-user-token")
