from django.urls import path

from offers import views

app_name = "offers"
urlpatterns = [
    path("", views.offer_list, name="offer-list"),
    path("new/", views.offer_create, name="offer-create"),
    path("<int:pk>/edit/", views.offer_edit, name="offer-edit"),
    path("<int:pk>/archive/", views.offer_archive, name="offer-archive"),
    path("products/", views.product_list, name="product-list"),
    path("products/new/", views.product_create, name="product-create"),
    path("products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path("products/<int:pk>/archive/", views.product_archive, name="product-archive"),
]
