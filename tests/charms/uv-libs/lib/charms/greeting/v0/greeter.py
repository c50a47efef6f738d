"""A charm library, as `charmcraft fetch-libs` places one (written here for
charmbox's tests)."""

LIBID = "0123456789abcdef0123456789abcdef"
LIBAPI = 0
LIBPATCH = 1


def greet(name: str) -> str:
    return f"hello, {name}"
