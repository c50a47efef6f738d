/* Internals shared by the files of charmbox's C library (not for charms). */
#ifndef CHARMBOX_INTERNAL_H
#define CHARMBOX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "charm.h"

/* Record `len` bytes of `text` as the message the hook fails with. */
void cb_set_error_bytes(const uint8_t *text, size_t len);
/* A borrowed view of a C string as the bindings' string. */
charm_string_t cb_view(const char *s);
/* A malloc'd NUL-terminated copy of a bindings string, or NULL. */
char *cb_copy(const charm_string_t *s);

#endif
