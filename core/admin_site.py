"""The admin site: staff as Django has it, managers read-only, dj-stripe for superusers only.

Managers are not staff (staff without a group use the admin and not the desk), yet they may read
the money records there. The site lets a manager in only to the view-only admins
(core.admin.ViewOnlyAdmin: the ledger, invoices, payments, refunds, the audit trail), which no
one can add to, change or delete from; every other model admin, whatever a manager's model
permissions (they may edit offers through the desk's own pages), stays closed and unlisted.
dj-stripe registers some 45 admins of Stripe's mirrored objects: only superusers see those.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

MANAGER_PERM = "core.see_manager_pages"
SUPERUSER_APPS = ("djstripe",)


class PaydeskAdminSite(admin.AdminSite):
    def _model_admin(self, request) -> admin.ModelAdmin | None:
        """The model admin the requested admin page belongs to, if any."""
        name = getattr(request.resolver_match, "url_name", None) or ""
        for model, model_admin in self._registry.items():
            if name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
                return model_admin
        return None

    def _visible(self, request, model_admin: admin.ModelAdmin) -> bool:
        from core.admin import ViewOnlyAdmin

        user = request.user
        if user.is_superuser:
            return True
        if model_admin.opts.app_label in SUPERUSER_APPS:
            return False
        return user.is_staff or isinstance(model_admin, ViewOnlyAdmin)

    def has_permission(self, request) -> bool:
        user = request.user
        if not user.is_active or not (user.is_staff or user.has_perm(MANAGER_PERM)):
            return False
        model_admin = self._model_admin(request)
        return model_admin is None or self._visible(request, model_admin)

    def get_app_list(self, request, app_label=None):
        apps = []
        for app in super().get_app_list(request, app_label):
            app["models"] = [
                m for m in app["models"] if self._visible(request, self._registry[m["model"]])
            ]
            if app["models"]:
                apps.append(app)
        return apps


class PaydeskAdminConfig(AdminConfig):
    default_site = "core.admin_site.PaydeskAdminSite"
