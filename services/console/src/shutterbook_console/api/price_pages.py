"""Studio setup, price list and promotions (issue 17), kept by billing. The price list a page
at a time, a new item and one item's name, SKU, unit price ("12.50") and tax rate ("8.25" %);
the promotions with a new one (code, name, percent or amount off, first and last day, usage
limit, the session types it applies to). Managers and owners only; each form is shown back
with each refusal beside its field and what was typed kept."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from shutterbook.billing.v1 import billing_pb2 as bpb
from shutterbook_console.api.letter_pages import NO_STORE, staff_page
from shutterbook_console.api.setup_pages import (
    RECORD_ID,
    beside_setup_fields,
    form_texts,
    new_request_id,
    page_token_of,
    request_id_of,
    setup_session,
)
from shutterbook_console.api.type_pages import not_saved, refused, upstreams_of
from shutterbook_console.application import price_setup
from shutterbook_console.application.sessions import CurrentSession
from shutterbook_console.domain.price_forms import (
    discount_text,
    item_field,
    item_form,
    item_values,
    local_day,
    promotion_field,
    promotion_form,
)
from shutterbook_console.domain.type_form import amount_text
from shutterbook_console.upstreams import UpstreamError

PRICES = "Studio setup: price list"
PROMOTIONS = "Studio setup: promotions"
FORBIDDEN = "The price list and promotions are set up by managers and owners."
DONE = {"created": "Item added.", "saved": "Saved.", "promotion": "Promotion created."}


async def _prices(
    request: Request[Any, Any, State], session: CurrentSession, status: int = 200, **context: Any
) -> Template:
    up, caller = upstreams_of(request), session.staff.caller()
    token = page_token_of(request)
    try:
        found = await price_setup.items(up, caller, token)
        studio = await price_setup.studio(up, caller)
    except UpstreamError as exc:
        code, message = refused(exc)
        return staff_page("price_list.html", session, code, title=PRICES, error=message, refused=True)
    context.setdefault("v", {"request_id": new_request_id()})
    return staff_page(
        "price_list.html",
        session,
        status,
        title=PRICES,
        items=found.price_list_items,
        next_page=found.next_page_token,
        paged=bool(token),
        currency=studio.currency,
        amount=amount_text,
        **context,
    )


@get("/setup/price-list", include_in_schema=False)
async def price_list_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "price_list.html", PRICES, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    return await _prices(request, session, notice=DONE.get(request.query_params.get("done", ""), ""))


@post("/setup/price-list", include_in_schema=False)
async def price_item_create(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "price_list.html", PRICES, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    form, _ = await form_texts(request)
    up, caller = upstreams_of(request), session.staff.caller()
    request_id = request_id_of(form)
    status, error, errors = 422, "", {}
    typed = None
    try:
        studio = await price_setup.studio(up, caller)
        typed = item_form(form, studio.currency)
        errors = dict(typed.errors)
        if not errors:
            await price_setup.create_item(up, caller, typed.item, request_id)
            return Redirect("/setup/price-list?done=created", headers=NO_STORE)
    except UpstreamError as exc:
        status, error = beside_setup_fields(exc, item_field, errors)
    v = {**(typed.typed if typed else {}), "request_id": request_id}
    return await _prices(request, session, status, v=v, errors=errors, error=not_saved(errors) or error)


async def _item(
    request: Request[Any, Any, State], session: CurrentSession, item_id: str
) -> bpb.PriceListItem | Template:
    try:
        if not RECORD_ID.match(item_id):
            raise LookupError
        return await price_setup.get_item(upstreams_of(request), session.staff.caller(), item_id)
    except LookupError:
        return staff_page(
            "price_item.html", session, 404, title=PRICES, error="There is no such price list item.", refused=True
        )
    except UpstreamError as exc:
        code, message = refused(exc)
        return staff_page("price_item.html", session, code, title=PRICES, error=message, refused=True)


def _item_page(session: CurrentSession, status: int, item: bpb.PriceListItem, **context: Any) -> Template:
    context.setdefault("v", item_values(item))
    return staff_page(
        "price_item.html",
        session,
        status,
        title=f"Price list item: {item.display_name}",
        item=item,
        item_id=item.name.removeprefix("priceListItems/"),
        currency=item.unit_price.currency_code,
        **context,
    )


@get("/setup/price-list/{item_id:str}", include_in_schema=False)
async def price_item_page(request: Request[Any, Any, State], item_id: FromPath[str]) -> Template | Redirect:
    session = await setup_session(request, "price_item.html", PRICES, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    item = await _item(request, session, item_id)
    if isinstance(item, Template):
        return item
    return _item_page(session, 200, item, notice=DONE.get(request.query_params.get("done", ""), ""))


@post("/setup/price-list/{item_id:str}", include_in_schema=False)
async def price_item_submit(request: Request[Any, Any, State], item_id: FromPath[str]) -> Template | Redirect:
    session = await setup_session(request, "price_item.html", PRICES, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    item = await _item(request, session, item_id)
    if isinstance(item, Template):
        return item
    form, _ = await form_texts(request)
    typed = item_form(form, item.unit_price.currency_code or price_setup.FALLBACK_CURRENCY)
    errors = dict(typed.errors)
    status, error = 422, ""
    if not errors:
        typed.item.name = item.name
        try:
            await price_setup.update_item(upstreams_of(request), session.staff.caller(), typed.item)
            return Redirect(f"/setup/price-list/{item_id}?done=saved", headers=NO_STORE)
        except UpstreamError as exc:
            status, error = beside_setup_fields(exc, item_field, errors)
    return _item_page(session, status, item, v=typed.typed, errors=errors, error=not_saved(errors) or error)


async def _promotions(
    request: Request[Any, Any, State], session: CurrentSession, status: int = 200, **context: Any
) -> Template:
    up, caller = upstreams_of(request), session.staff.caller()
    token = page_token_of(request)
    try:
        found = await price_setup.promotions(up, caller, token)
        studio = await price_setup.studio(up, caller)
    except UpstreamError as exc:
        code, message = refused(exc)
        return staff_page("promotions.html", session, code, title=PROMOTIONS, error=message, refused=True)
    rows = [
        {
            "code": p.code,
            "name": p.display_name,
            "discount": discount_text(p),
            "from": local_day(p.start_time, studio.zone) if p.HasField("start_time") else "",
            "to": local_day(p.end_time, studio.zone, end=True) if p.HasField("end_time") else "",
            "used": f"{p.usage_count} of {p.usage_limit}" if p.usage_limit else f"{p.usage_count} (no limit)",
            "types": ", ".join(studio.session_types.get(t, "(removed type)") for t in p.eligible_session_types)
            or "Any session",
        }
        for p in found.promotions
    ]
    context.setdefault("v", {"request_id": new_request_id(), "discount": "percent"})
    context.setdefault("chosen", [])
    return staff_page(
        "promotions.html",
        session,
        status,
        title=PROMOTIONS,
        rows=rows,
        next_page=found.next_page_token,
        paged=bool(token),
        currency=studio.currency,
        zone=studio.zone,
        session_types=studio.session_types,
        **context,
    )


@get("/setup/promotions", include_in_schema=False)
async def promotions_page(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "promotions.html", PROMOTIONS, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    return await _promotions(request, session, notice=DONE.get(request.query_params.get("done", ""), ""))


@post("/setup/promotions", include_in_schema=False)
async def promotion_create(request: Request[Any, Any, State]) -> Template | Redirect:
    session = await setup_session(request, "promotions.html", PROMOTIONS, FORBIDDEN)
    if not isinstance(session, CurrentSession):
        return session
    form, raw = await form_texts(request)
    chosen = [str(x) for x in raw.getall("eligible_session_types", [])]
    up, caller = upstreams_of(request), session.staff.caller()
    request_id = request_id_of(form)
    status, error, errors = 422, "", {}
    typed = None
    try:
        studio = await price_setup.studio(up, caller)
        typed = promotion_form(form, chosen, studio.session_types, studio.currency, studio.zone)
        errors = dict(typed.errors)
        if not errors:
            await price_setup.create_promotion(up, caller, typed.promotion, request_id)
            return Redirect("/setup/promotions?done=promotion", headers=NO_STORE)
    except UpstreamError as exc:
        status, error = beside_setup_fields(exc, promotion_field, errors)
    v = {**(typed.typed if typed else {}), "request_id": request_id}
    return await _promotions(
        request, session, status, v=v, chosen=chosen, errors=errors, error=not_saved(errors) or error
    )


PRICE_HANDLERS = [
    price_list_page,
    price_item_create,
    price_item_page,
    price_item_submit,
    promotions_page,
    promotion_create,
]
