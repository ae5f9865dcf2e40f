"""Studio setup's staff schedules, price list and promotions (issue 17), over HTTP through the
console in front of the real scheduling, clients and billing services with the demo studio:

- a manager creates a staff schedule, sets its working hours (two rows on one day) and time
  off typed in the location's zone, then removes that time off and adds another; scheduling
  holds exactly what the page said;
- overlapping rows, an end before its start and an unknown staff member are refused beside
  their inputs, what was typed is kept, and the schedule is unchanged;
- a manager adds a price list item typed as "129.50" and "8.25" % (12950 minor units, 825
  basis points) and changes it; bad input is named per field with nothing written, a SKU
  already used is refused beside the SKU;
- a manager creates a percent-off and an amount-off promotion for chosen session types; bad
  input is named per field with nothing written;
- the front desk is refused every one of these pages and posts (403) and nothing is written."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook.scheduling.v1 import scheduling_pb2 as pb
from shutterbook_kit.demo import DEMO_STAFF_PASSWORD
from tests.console_stack_support import DEMO_META, ConsoleStack, module_console_stack  # noqa: F401 (`stack`)
from tests.console_support import csrf, log_in

pytestmark = pytest.mark.xdist_group("console_setup_schedules_prices")

MANAGER = "manager@example.com"
DESK = "frontdesk@example.com"


def field_error(page: str, name: str) -> str:
    found = re.search(rf'id="{re.escape(name)}-error">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>|⚠", "", found.group(1)).strip() if found else ""


@asynccontextmanager
async def _signed_in(stack: ConsoleStack, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.console.client() as http:
        assert (await log_in(http, email, DEMO_STAFF_PASSWORD)).status_code == 200
        yield http


async def _token(http: httpx.AsyncClient) -> str:
    return next(iter((await csrf(http)).values()))


async def _post(http: httpx.AsyncClient, url: str, form: Mapping[str, str | list[str]]) -> httpx.Response:
    return await http.post(url, data={"_csrf_token": await _token(http), **form})


def _redirected(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), response.text[:2000]
    return response.headers["location"]


def _hours_form(rows: list[tuple[str, str, str]], time_off: list[tuple[str, str, str, bool]]) -> dict[str, str]:
    form = {"hours_rows": str(len(rows)), "off_rows": str(len(time_off))}
    for i, (day, start, end) in enumerate(rows):
        form |= {f"day_{i}": day, f"from_{i}": start, f"to_{i}": end}
    for i, (start, end, reason, remove) in enumerate(time_off):
        form |= {f"off_start_{i}": start, f"off_end_{i}": end, f"off_reason_{i}": reason}
        if remove:
            form[f"off_remove_{i}"] = "1"
    return form


def _hours(schedule: pb.Schedule) -> list[tuple[int, str, str]]:
    return [
        (h.day, f"{h.start.hours:02d}:{h.start.minutes:02d}", f"{h.end.hours:02d}:{h.end.minutes:02d}")
        for h in schedule.working_hours
    ]


def _utc(stamp: object) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)  # type: ignore[attr-defined, no-any-return]


async def test_a_manager_sets_a_staff_schedules_hours_and_time_off(stack: ConsoleStack) -> None:
    scheduling = stack.services.scheduling
    locations = (await scheduling.ListLocations(pb.ListLocationsRequest(), metadata=DEMO_META)).locations
    downtown = next(x for x in locations if x.time_zone == "America/New_York")
    staff = (await scheduling.ListStaffMembers(pb.ListStaffMembersRequest(), metadata=DEMO_META)).staff_members
    mary = next(x for x in staff if x.display_name == "Mary Smith")
    async with _signed_in(stack, MANAGER) as http:
        listed = await http.get("/setup/schedules", params={"location": downtown.name})
        assert listed.status_code == 200
        assert "John Doe (Downtown)" in listed.text
        assert "Mon–Fri 09:00–17:00" in listed.text

        # an unknown staff member is refused beside the field, nothing created
        before = len((await scheduling.ListSchedules(pb.ListSchedulesRequest(), metadata=DEMO_META)).schedules)
        bad = await _post(
            http,
            "/setup/schedules",
            {"location": downtown.name, "staff_member": "staffMembers/nobody", "display_name": "Weekend desk"},
        )
        assert bad.status_code == 422
        assert "staff member" in field_error(bad.text, "staff_member")
        assert 'value="Weekend desk"' in bad.text
        after = len((await scheduling.ListSchedules(pb.ListSchedulesRequest(), metadata=DEMO_META)).schedules)
        assert after == before

        created = await _post(
            http,
            "/setup/schedules",
            {"location": downtown.name, "staff_member": mary.name, "display_name": "Mary (weekends)"},
        )
        schedule_id = _redirected(created).split("/")[-1].split("?")[0]
        name = f"schedules/{schedule_id}"
        fresh = await scheduling.GetSchedule(pb.GetScheduleRequest(name=name), metadata=DEMO_META)
        assert (fresh.kind, fresh.staff_member, fresh.location) == (pb.SCHEDULE_KIND_STAFF, mary.name, downtown.name)
        assert "now set its working hours" in (await http.get(_redirected(created))).text

        form = {"display_name": "Mary (weekends)", "staff_member": mary.name} | _hours_form(
            [("mon", "09:00", "12:00"), ("mon", "13:00", "17:00"), ("sat", "10:00", "14:00"), ("", "", "")],
            [("2026-12-24T09:00", "2026-12-26T18:00", "Holidays", False), ("", "", "", False)],
        )
        done = _redirected(await _post(http, f"/setup/schedules/{schedule_id}", form))
        saved = await scheduling.GetSchedule(pb.GetScheduleRequest(name=name), metadata=DEMO_META)
        assert _hours(saved) == [
            (pb.DAY_OF_WEEK_MONDAY, "09:00", "12:00"),
            (pb.DAY_OF_WEEK_MONDAY, "13:00", "17:00"),
            (pb.DAY_OF_WEEK_SATURDAY, "10:00", "14:00"),
        ]
        assert len(saved.time_off) == 1
        assert saved.time_off[0].reason == "Holidays"
        # typed in New York's winter time (UTC-5)
        assert _utc(saved.time_off[0].start_time) == datetime(2026, 12, 24, 14, 0, tzinfo=UTC)
        assert _utc(saved.time_off[0].end_time) == datetime(2026, 12, 26, 23, 0, tzinfo=UTC)
        page = (await http.get(done)).text
        assert 'value="2026-12-24T09:00"' in page
        assert "Saved." in page

        # bad rows: each refused beside its input, what was typed kept, nothing changed
        bad_form = {"display_name": "Mary (weekends)", "staff_member": mary.name} | _hours_form(
            [("mon", "09:00", "12:00"), ("mon", "11:00", "13:00"), ("tue", "15:00", "14:00"), ("wed", "9", "")],
            [
                ("2026-12-24T09:00", "2026-12-26T18:00", "Holidays", False),
                ("2027-01-05T10:00", "2027-01-05T09:00", "", False),
            ],
        )
        refused = await _post(http, f"/setup/schedules/{schedule_id}", bad_form)
        assert refused.status_code == 422
        assert "Overlaps Monday 09:00–12:00" in field_error(refused.text, "from_1")
        assert "after the start" in field_error(refused.text, "to_2")
        assert "HH:MM" in field_error(refused.text, "from_3")
        assert "HH:MM" in field_error(refused.text, "to_3")
        assert "after the start" in field_error(refused.text, "off_end_1")
        assert field_error(refused.text, "from_0") == ""
        assert 'value="11:00"' in refused.text
        assert 'value="2027-01-05T10:00"' in refused.text
        assert await scheduling.GetSchedule(pb.GetScheduleRequest(name=name), metadata=DEMO_META) == saved

        # the time off removed, another added
        form = {"display_name": "Mary Smith, weekends", "staff_member": mary.name} | _hours_form(
            [("mon", "09:00", "12:00"), ("sat", "10:00", "14:00")],
            [
                ("2026-12-24T09:00", "2026-12-26T18:00", "Holidays", True),
                ("2027-07-01T00:00", "2027-07-08T00:00", "Summer", False),
            ],
        )
        _redirected(await _post(http, f"/setup/schedules/{schedule_id}", form))
        changed = await scheduling.GetSchedule(pb.GetScheduleRequest(name=name), metadata=DEMO_META)
        assert changed.display_name == "Mary Smith, weekends"
        assert _hours(changed) == [
            (pb.DAY_OF_WEEK_MONDAY, "09:00", "12:00"),
            (pb.DAY_OF_WEEK_SATURDAY, "10:00", "14:00"),
        ]
        assert [(o.reason, _utc(o.start_time)) for o in changed.time_off] == [
            ("Summer", datetime(2027, 7, 1, 4, 0, tzinfo=UTC))  # New York's summer time (UTC-4)
        ]


async def _items(stack: ConsoleStack) -> list[bpb.PriceListItem]:
    found = await stack.billing.stub.ListPriceListItems(
        bpb.ListPriceListItemsRequest(page_size=1000), metadata=DEMO_META
    )
    return list(found.price_list_items)


async def test_a_manager_adds_and_changes_a_price_list_item(stack: ConsoleStack) -> None:
    async with _signed_in(stack, MANAGER) as http:
        before = await _items(stack)
        listed = await http.get("/setup/price-list")
        assert listed.status_code == 200
        assert before[0].sku in listed.text

        bad = await _post(
            http,
            "/setup/price-list",
            {"display_name": "", "sku": "CANVAS-1620", "unit_price": "12.5.0", "tax_rate": "eight"},
        )
        assert bad.status_code == 422
        assert field_error(bad.text, "display_name")
        assert "12.50" in field_error(bad.text, "unit_price")
        assert "percentage" in field_error(bad.text, "tax_rate")
        assert field_error(bad.text, "sku") == ""
        assert 'value="12.5.0"' in bad.text
        assert 'value="CANVAS-1620"' in bad.text
        assert await _items(stack) == before

        taken = await _post(
            http, "/setup/price-list", {"display_name": "Copy", "sku": before[0].sku, "unit_price": "1", "tax_rate": ""}
        )
        assert taken.status_code == 409
        assert "already used" in field_error(taken.text, "sku")
        assert await _items(stack) == before

        form = {"display_name": "Canvas 16x20", "sku": "CANVAS-1620", "unit_price": "129.50", "tax_rate": "8.25"}
        _redirected(await _post(http, "/setup/price-list", form))
        item = next(x for x in await _items(stack) if x.sku == "CANVAS-1620")
        assert (item.display_name, item.unit_price.amount_minor, item.tax_rate_bps) == ("Canvas 16x20", 12950, 825)
        assert item.unit_price.currency_code == "USD"
        item_id = item.name.split("/")[1]
        page = (await http.get(f"/setup/price-list/{item_id}")).text
        assert 'value="129.50"' in page
        assert 'value="8.25"' in page

        edit = {
            "display_name": "Canvas 16x20 gallery wrap",
            "sku": "CANVAS-1620-GW",
            "unit_price": "139",
            "tax_rate": "",
        }
        refused = await _post(http, f"/setup/price-list/{item_id}", edit | {"unit_price": "-3"})
        assert refused.status_code == 422
        assert field_error(refused.text, "unit_price")
        assert 'value="Canvas 16x20 gallery wrap"' in refused.text
        got = await stack.billing.stub.GetPriceListItem(bpb.GetPriceListItemRequest(name=item.name), metadata=DEMO_META)
        assert got == item

        _redirected(await _post(http, f"/setup/price-list/{item_id}", edit))
        got = await stack.billing.stub.GetPriceListItem(bpb.GetPriceListItemRequest(name=item.name), metadata=DEMO_META)
        assert (got.display_name, got.sku, got.unit_price.amount_minor, got.tax_rate_bps) == (
            "Canvas 16x20 gallery wrap",
            "CANVAS-1620-GW",
            13900,
            0,
        )


async def _promotions(stack: ConsoleStack) -> list[bpb.Promotion]:
    found = await stack.billing.stub.ListPromotions(bpb.ListPromotionsRequest(page_size=1000), metadata=DEMO_META)
    return list(found.promotions)


async def test_a_manager_creates_promotions(stack: ConsoleStack) -> None:
    types = (
        await stack.services.scheduling.ListSessionTypes(pb.ListSessionTypesRequest(), metadata=DEMO_META)
    ).session_types
    chosen = [types[0].name, types[1].name]
    async with _signed_in(stack, MANAGER) as http:
        before = await _promotions(stack)
        bad = await _post(
            http,
            "/setup/promotions",
            {
                "code": "no spaces!",
                "display_name": "Spring",
                "discount": "percent",
                "percent_off": "150",
                "starts": "2027-04-01",
                "ends": "2027-03-01",
                "usage_limit": "lots",
                "eligible_session_types": ["sessionTypes/none-such"],
            },
        )
        assert bad.status_code == 422
        for name in ("code", "percent_off", "ends", "usage_limit", "eligible_session_types"):
            assert field_error(bad.text, name), name
        assert field_error(bad.text, "display_name") == ""
        assert 'value="150"' in bad.text
        assert await _promotions(stack) == before

        form: dict[str, str | list[str]] = {
            "code": "bloom27",
            "display_name": "Spring Family Special",
            "discount": "percent",
            "percent_off": "10",
            "starts": "2027-03-01",
            "ends": "2027-05-31",
            "usage_limit": "50",
            "eligible_session_types": chosen,
        }
        _redirected(await _post(http, "/setup/promotions", form))
        spring = next(p for p in await _promotions(stack) if p.code == "BLOOM27")
        assert (spring.percent_off_bps, spring.usage_limit) == (1000, 50)
        assert sorted(spring.eligible_session_types) == sorted(chosen)
        # the dates are days of the studio's first location: its first midnight to the midnight after its last
        first = await stack.services.scheduling.ListLocations(pb.ListLocationsRequest(page_size=1), metadata=DEMO_META)
        zone = ZoneInfo(first.locations[0].time_zone)
        assert _utc(spring.start_time) == datetime(2027, 3, 1, tzinfo=zone).astimezone(UTC)
        assert _utc(spring.end_time) == datetime(2027, 6, 1, tzinfo=zone).astimezone(UTC)
        assert _utc(spring.start_time).hour in (5, 8)  # New York or Los Angeles, not UTC

        again = await _post(http, "/setup/promotions", form)
        assert again.status_code in (409, 422)  # the code is taken (a new request id: not a retry)
        assert "already used" in field_error(again.text, "code")

        amount = {"code": "FALL25", "display_name": "Fall", "discount": "amount", "amount_off": "25.00"}
        _redirected(await _post(http, "/setup/promotions", amount))
        fall = next(p for p in await _promotions(stack) if p.code == "FALL25")
        assert (fall.amount_off.amount_minor, fall.amount_off.currency_code, fall.usage_limit) == (2500, "USD", 0)
        assert list(fall.eligible_session_types) == []
        listed = (await http.get("/setup/promotions")).text
        assert "BLOOM27" in listed
        assert "10 % off" in listed
        assert "2027-03-01 – 2027-05-31" in listed
        assert "25.00 USD off" in listed


async def test_the_front_desk_may_not_set_these_up(stack: ConsoleStack) -> None:
    items, promotions = await _items(stack), await _promotions(stack)
    async with _signed_in(stack, DESK) as http:
        for url in (
            "/setup/schedules",
            "/setup/price-list",
            "/setup/promotions",
            f"/setup/price-list/{items[0].name.split('/')[1]}",
        ):
            page = await http.get(url)
            assert page.status_code == 403, url
            assert "managers and owners" in page.text
        item = {"display_name": "Sneaky", "sku": "SNEAKY", "unit_price": "1.00", "tax_rate": ""}
        assert (await _post(http, "/setup/price-list", item)).status_code == 403
        assert (await _post(http, f"/setup/price-list/{items[0].name.split('/')[1]}", item)).status_code == 403
        promotion = {"code": "SNEAKY", "display_name": "x", "discount": "percent", "percent_off": "50"}
        assert (await _post(http, "/setup/promotions", promotion)).status_code == 403
    assert await _items(stack) == items
    assert await _promotions(stack) == promotions
