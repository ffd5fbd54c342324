"""The catalogue: offers (versioned) and products. Archiving hides, never deletes:
sold invoices and orders point at these rows."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import ActionError
from core.forms import form_changes
from core.htmx import form_data, form_status
from core.roles import required
from offers.actions import archive_catalogue_item, save_catalogue_item, store_offer
from offers.forms import (
    OfferForm,
    ProductForm,
    line_formset,
    line_initial,
)
from offers.models import Offer, Product


def _archived(request: HttpRequest) -> bool:
    return request.GET.get("archived") == "1"


@required("offers.view_offer")
def offer_list(request: HttpRequest) -> HttpResponse:
    offers = Offer.objects.filter(archived=_archived(request)).prefetch_related("lines__product")
    return render(
        request, "offers/offer_list.html", {"offers": offers, "archived": _archived(request)}
    )


def _offer_form(request: HttpRequest, offer: Offer | None) -> HttpResponse:
    initial = {"name": offer.name, "currency": offer.currency} if offer else {}
    currency = request.POST.get("currency") or (offer.currency if offer else "USD")
    form = OfferForm(form_data(request), initial=initial)
    rows = line_initial(offer.lines_for_sale()) if offer else []
    lines = line_formset(form_data(request), initial=rows, currency=currency)
    if request.method == "POST" and not lines.adding and form.is_valid() and lines.is_valid():
        sale = lines.sale_lines()
        if sale:
            data = form.cleaned_data
            try:
                new = store_offer(
                    data["name"], data["currency"], sale, actor=request.user, replaces=offer
                )
            except ActionError as exc:
                if exc.field in form.fields or not lines.add_action_error(exc):
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"Saved {new}.")
                return redirect("offers:offer-list")
        else:
            form.add_error(None, "Add at least one line.")
    context = {"form": form, "lines": lines, "offer": offer}
    status = 200 if lines.adding else max(form_status(form), form_status(lines))
    return render(request, "offers/offer_form.html", context, status=status)


@required("offers.add_offer")
def offer_create(request: HttpRequest) -> HttpResponse:
    return _offer_form(request, None)


@required("offers.add_offer")
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    # Editing stores a new version; the old one stays as sold.
    return _offer_form(request, get_object_or_404(Offer, pk=pk, archived=False))


@require_POST
@required("offers.change_offer")
def offer_archive(request: HttpRequest, pk: int) -> HttpResponse:
    archive_catalogue_item(get_object_or_404(Offer, pk=pk), actor=request.user)
    return redirect("offers:offer-list")


def _model_form(request, form_class, instance, *, title, back) -> HttpResponse:
    form = form_class(form_data(request), instance=instance)
    if request.method == "POST" and form.is_valid():
        changes = form_changes(form)
        saved = save_catalogue_item(form.save(commit=False), changes=changes, actor=request.user)
        messages.success(request, f"Saved {saved}.")
        return redirect(back)
    context = {"form": form, "title": title, "back": back}
    return render(request, "offers/simple_form.html", context, status=form_status(form))


@required("offers.view_product")
def product_list(request: HttpRequest) -> HttpResponse:
    products = Product.objects.filter(active=not _archived(request))
    return render(
        request, "offers/product_list.html", {"products": products, "archived": _archived(request)}
    )


@required("offers.add_product")
def product_create(request: HttpRequest) -> HttpResponse:
    return _model_form(request, ProductForm, None, title="New product", back="offers:product-list")


@required("offers.change_product")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return _model_form(
        request, ProductForm, product, title=f"Edit {product}", back="offers:product-list"
    )


@require_POST
@required("offers.change_product")
def product_archive(request: HttpRequest, pk: int) -> HttpResponse:
    archive_catalogue_item(get_object_or_404(Product, pk=pk), actor=request.user)
    return redirect("offers:product-list")
