from django.urls import path

from dunning import views

app_name = "dunning"
urlpatterns = [
    path("", views.collections, name="collections"),
    path("cases/<int:pk>/retry/", views.case_retry, name="case-retry"),
    path("cases/<int:pk>/pause/", views.case_pause, name="case-pause"),
    path("cases/<int:pk>/stop/", views.case_stop, name="case-stop"),
    path("cases/<int:pk>/write-off/", views.case_write_off, name="case-write-off"),
    path("policies/", views.policy_list, name="policy-list"),
    path("policies/new/", views.policy_create, name="policy-create"),
    path("policies/<int:pk>/", views.policy_edit, name="policy-edit"),
    path("policies/preview/", views.policy_preview, name="policy-preview"),
]
