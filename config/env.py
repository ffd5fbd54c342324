"""Read settings from the environment, failing at start with a message that names the variable."""

import os
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {value}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def env_limits(name: str, default: str) -> dict[str, str]:
    """Parse "USD 500, EUR 500, JPY 50000" into {"USD": "500", ...}."""
    raw = os.environ.get(name, default)
    limits = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            currency, amount = part.split()
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must look like 'USD 500, JPY 50000', not {raw!r}"
            ) from None
        try:
            if Decimal(amount) < 0:
                raise InvalidOperation
        except InvalidOperation:
            raise ImproperlyConfigured(f"{name}: {amount!r} is not an amount") from None
        limits[currency.upper()] = amount
    return limits
