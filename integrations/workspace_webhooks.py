"""The workspace's webhook pages: the endpoints (register, disable) and the delivery log.

Moderators' pages (403 for readers, sign-in for visitors), plain forms with post-redirect-get,
except registering an endpoint: its secret is shown in the answer to the POST, once. Nothing
here calls an endpoint: a redelivery only queues the delivery for the dispatcher.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations import services
from integrations.forms import WebhookEndpointForm
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from moderation.decorators import moderator_required
from newsroom.http import HtmxHttpRequest

DELIVERIES_PER_PAGE = 50


@require_http_methods(["GET", "POST"])
@login_required
@moderator_required
@never_cache
def endpoints(request: HtmxHttpRequest) -> HttpResponse:
    """The registered endpoints; register one here (its secret is shown once)."""
    form = WebhookEndpointForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            created = services.create_webhook_endpoint(
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                created_by=request.user,
            )
            form = WebhookEndpointForm()
        else:
            status = 400
    context = {
        "endpoints": WebhookEndpoint.objects.select_related("created_by"),
        "form": form,
        "created": created,
        "max_attempts": settings.WEBHOOK_MAX_ATTEMPTS,
    }
    # never_cache: the answer that shows a new secret must not be kept by any cache on the way.
    return render(request, "integrations/webhooks.html", context, status=status)


@require_POST
@login_required
@moderator_required
def disable_endpoint(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if endpoint.is_active:
        services.disable_webhook_endpoint(endpoint=endpoint)
        messages.success(request, f"Disabled {endpoint.url}: it gets no more events.")
    else:
        messages.info(request, f"{endpoint.url} was disabled already.")
    return redirect("integrations:webhooks")


@require_GET
@login_required
@moderator_required
def deliveries(request: HtmxHttpRequest) -> HttpResponse:
    """Every delivery, newest first: its status, attempts, last error, and a redeliver button."""
    status = request.GET.get("status", "")
    rows = WebhookDelivery.objects.select_related("endpoint").defer("payload")
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    page = Paginator(rows, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": DeliveryStatus.choices}
    return render(request, "integrations/webhook_deliveries.html", context)


@require_POST
@login_required
@moderator_required
def redeliver(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=pk)
    if services.redeliver(delivery=delivery):
        messages.success(
            request, f"Delivery {delivery.pk} is queued again: it is sent within seconds."
        )
    elif not delivery.endpoint.is_active:
        messages.error(request, "Its endpoint is disabled: nothing can be sent to it.")
    else:
        messages.info(request, f"Delivery {delivery.pk} is being attempted already.")
    back = request.POST.get("next", "")
    deliveries_url = reverse("integrations:webhook-deliveries")
    return redirect(back if back.startswith(deliveries_url) else deliveries_url)
