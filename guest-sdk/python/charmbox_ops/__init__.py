"""charmbox_ops: runs an unmodified `ops` charm inside a charmbox component.

`charmbox build` bundles this package with the charm, `ops` and the charm's
pure-Python requirements (componentize-py), and generates the component's
entry module, which calls :func:`charmbox_ops.build.prepare` and exports
:class:`charmbox_ops.handler.Handler`, the `juju:charm/handler` interface.

The seams, each in its own module:

- ``hooktools``: ops' hook commands (``ops.hookcmds`` and
  ``ops.storage._run``) go to the raw ``jujuc`` import;
- ``pebble``: ``ops.pebble.Client`` talks to the ``pebble`` imports (JSON
  calls through the raw request; exec, push and pull through typed calls);
- ``storage``: ops' SQLite state file lives in the unit's writable state
  directory, and Juju-backed storage is available;
- ``entry``: the charm's entry point (``src/charm.py``), compiled at build
  time and run as ``__main__`` for each event, as Juju's dispatch does;
- ``nolzma``: ``import lzma`` works without liblzma (xz use raises);
- ``nousers``: ``pwd`` and ``grp`` with one user and group, root;
- ``machine``: ``subprocess`` runs declared, granted commands on the
  unit's machine through the host;
- ``network``: name lookups and connections fail saying the sandbox has
  no network;
- ``loopback``: HTTP to the unit's own workloads on ``localhost`` goes to
  the host's ``loopback`` import (the State's scripted answers);
- ``preload``: what is imported at build time, so it is in the snapshot;
- ``abccache``: ABC checks answered from the snapshot, not recomputed per event;
- ``tracebacks``: a failed event's traceback, with the paths Juju would show.

No file of ops or of the charm is changed.
"""

__version__ = "0.1.0"

# Where the host mounts the unit's writable directories (runtime/src/sandbox).
STATE_DIR = "/var/lib/charmbox/state"
TMP_DIR = "/tmp"
