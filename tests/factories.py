"""Factories build only valid baseline rows; richer states come from calling the real actions."""

import factory
from django.contrib.auth.models import Group, User
from djmoney.money import Money

from contacts.models import Contact, Partner
from core import roles
from offers.models import Product


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    password = factory.django.Password("pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


def rep(**kw) -> User:
    return UserFactory(role=roles.REP, **kw)


def manager(**kw) -> User:
    return UserFactory(role=roles.MANAGER, **kw)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Faker("company")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda c: f"{c.first_name}.{c.last_name}@example.com".lower())


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Course {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    price = Money("100.00", "USD")
