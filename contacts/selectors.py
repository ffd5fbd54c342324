"""Reads for the contact screens: search (the contact list pages with core.pagination)."""

from django.db.models import Q, QuerySet

from contacts.models import Contact


def search_contacts(q: str) -> QuerySet[Contact]:
    """Every word must match a name, email or phone (so "ada love" finds Ada Lovelace)."""
    contacts = Contact.objects.select_related("referred_by")
    for word in q.split():
        contacts = contacts.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return contacts
