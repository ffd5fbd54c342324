"""Fixes on one open order: re-price, reschedule, pause and resume, cancel, discount the next
charges, change its card. Each opens in the orders panel; money-changing ones show a preview."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from billing.actions import (
    cancel_order,
    change_order_terms,
    discount_order,
    pause_order,
    reschedule_order,
    resume_order,
    set_order_card,
)
from billing.forms.orders import (
    CancelOrderForm,
    OrderCardForm,
    OrderDiscountForm,
    OrderTermsForm,
    PauseOrderForm,
    RescheduleForm,
    ResumeOrderForm,
)
from billing.models import Order
from billing.views.common import Asking, amount_param, number_param, run_action
from billing.views.order_previews import cancel_preview, terms_preview
from core.action_views import action_page, require_perm
from core.forms import ActionForm
from core.htmx import form_data
from core.locales import money_text


def order_for(request: HttpRequest, pk: int, perm: str) -> Order:
    require_perm(request, perm)
    qs = Order.objects.select_related("contact", "product", "payment_method")
    return get_object_or_404(qs, pk=pk)


def _facts(request: HttpRequest, order: Order) -> list[tuple[str, object]]:
    facts = [
        ("Price", f"{money_text(request, order.unit_price)} × {order.quantity}"),
        ("Next charge", f"{order.next_charge_on:%-d %b %Y}" if order.next_charge_on else "none"),
    ]
    if order.kind == Order.Kind.PAYMENT_PLAN:
        facts.append(("Installments left", order.remaining_installments))
    return facts


def _order_action(
    request: HttpRequest,
    order: Order,
    form: ActionForm,
    call: Callable[[dict], object],
    *,
    name: str,
    title: str,
    submit: str,
    message: str,
    preview: Callable[[Order, ActionForm], dict] | None = None,
    danger: bool = False,
    ask: Asking | None = None,
) -> HttpResponse:
    url = reverse(f"billing:{name}", args=[order.pk])
    common = {
        "contact": order.contact,
        "title": f"{title} order #{order.pk} · {order.product}",
        "submit": submit,
        "action_url": url,
        "facts": _facts(request, order),
        "danger": danger,
    }
    extra = {}
    if preview is not None:
        extra = {"preview_url": url, "preview": preview(order, form)}
        # "Preview" (the htmx live preview, or the button without JavaScript) never acts.
        if request.method == "POST" and request.POST.get("intent") == "preview":
            if request.htmx:
                context = {**extra, "contact": order.contact}
                return render(request, "core/action.html#action-preview", context)
            # The reason is asked for when acting, not to look: don't flag it while previewing.
            form.is_valid()
            form.errors.pop("reason", None)
            return action_page(request, form, extra=extra, **common)
    return run_action(
        request, form, call, message=message, panel="orders", extra=extra, ask=ask, **common
    )


def order_change_terms(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for(request, pk, "billing.change_orders")
    form = OrderTermsForm(form_data(request), currency=order.currency)

    def call(data: dict):
        return change_order_terms(
            order,
            unit_price=data["unit_price"],
            quantity=data["quantity"],
            effective=data["effective"],
            prorate=data["prorate"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return _order_action(
        request,
        order,
        form,
        call,
        name="order-change-terms",
        title="Change price or quantity of",
        submit="Change terms",
        message=f"Order #{order.pk}'s terms changed.",
        preview=terms_preview,
        ask=Asking(
            "change_order_terms",
            order,
            lambda data: {
                "unit_price": amount_param(data["unit_price"]),
                "quantity": data["quantity"],
                "effective": data["effective"],
                "prorate": data["prorate"],
            },
        ),
    )


def order_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for(request, pk, "billing.change_orders")
    initial = {"next_charge_on": order.next_charge_on}
    form = RescheduleForm(form_data(request), initial=initial)

    def call(data: dict):
        return reschedule_order(
            order,
            next_charge_on=data["next_charge_on"],
            move_anchor=data["move_anchor"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return _order_action(
        request,
        order,
        form,
        call,
        name="order-reschedule",
        title="Reschedule",
        submit="Reschedule",
        message=f"Order #{order.pk} rescheduled.",
    )


def order_pause(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for(request, pk, "billing.change_orders")
    form = PauseOrderForm(form_data(request))

    def call(data: dict):
        return pause_order(
            order,
            resume_on=data["resume_on"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return _order_action(
        request,
        order,
        form,
        call,
        name="order-pause",
        title="Pause",
        submit="Pause order",
        message=f"Order #{order.pk} paused.",
    )


def order_resume(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for(request, pk, "billing.change_orders")
    form = ResumeOrderForm(form_data(request))

    def call(data: dict):
        return resume_order(
            order,
            next_charge_on=data["next_charge_on"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return _order_action(
        request,
        order,
        form,
        call,
        name="order-resume",
        title="Resume",
        submit="Resume order",
        message=f"Order #{order.pk} resumed.",
    )


def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for(request, pk, "billing.change_orders")
    form = CancelOrderForm(form_data(request))

    def call(data: dict):
        return cancel_order(
            order,
            at=data["at"],
            refund_unused=data["refund_unused"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return _order_action(
        request,
        order,
        form,
        call,
        name="order-cancel",
        title="Cancel",
        submit="Cancel order",
        message=f"Order #{order.pk} cancelled.",
        preview=cancel_preview,
        danger=True,
    )


def order_discount(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for(request, pk, "billing.discount")
    form = OrderDiscountForm(form_data(request), currency=order.currency)

    def call(data: dict):
        return discount_order(
            order,
            amount=data["amount"],
            percent=data["percent"],
            charges=data["charges"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return _order_action(
        request,
        order,
        form,
        call,
        name="order-discount",
        title="Discount the next charges of",
        submit="Apply discount",
        message=f"Discount set on order #{order.pk}.",
        ask=Asking(
            "discount_order",
            order,
            lambda data: {
                "amount": amount_param(data["amount"]),
                "percent": number_param(data["percent"]),
                "charges": data["charges"],
            },
        ),
    )


def order_set_card(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_for(request, pk, "billing.manage_cards")
    initial = {"payment_method": order.payment_method_id}
    form = OrderCardForm(form_data(request), contact=order.contact, initial=initial)

    def call(data: dict):
        return set_order_card(
            order,
            payment_method=data["payment_method"],
            actor=request.user,
            retry_now=data["retry_now"],
            idempotency_key=data["key"],
        )

    return _order_action(
        request,
        order,
        form,
        call,
        name="order-set-card",
        title="Change the card of",
        submit="Use this card",
        message=f"Order #{order.pk} now charges the chosen card.",
    )
