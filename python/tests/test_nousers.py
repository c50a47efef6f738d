"""charmbox_ops.nousers: the sandbox's ``pwd`` and ``grp`` (root only),
checked against the host's real modules for root and for missing ids."""

import grp
import importlib
import os
import pwd
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "guest-sdk", "python"))
nousers = importlib.import_module("charmbox_ops.nousers")
spwd, sgrp = nousers._pwd(), nousers._grp()


def test_root_has_the_fields_and_ids_of_the_real_entry():
    real, ours = pwd.getpwnam("root"), spwd.getpwnam("root")
    assert (ours.pw_name, ours.pw_uid, ours.pw_gid) == (real.pw_name, real.pw_uid, real.pw_gid)
    assert ours == spwd.getpwuid(0) and len(ours) == len(real) == 7
    assert ours.pw_dir == "/root"
    g = sgrp.getgrgid(0)
    assert (g.gr_name, g.gr_gid) == (grp.getgrgid(0).gr_name, 0) and len(g) == 4
    assert spwd.getpwall() == [ours] and sgrp.getgrall() == [g]


@pytest.mark.parametrize(
    "real,ours,call,arg",
    [
        (pwd, spwd, "getpwnam", "no-such-user-x"),
        (pwd, spwd, "getpwuid", 4242424),
        (grp, sgrp, "getgrnam", "no-such-group-x"),
        (grp, sgrp, "getgrgid", 4242424),
    ],
)
def test_a_missing_entry_raises_as_cpython_does(real, ours, call, arg):
    with pytest.raises(KeyError) as expected:
        getattr(real, call)(arg)
    with pytest.raises(KeyError) as got:
        getattr(ours, call)(arg)
    assert str(got.value) == str(expected.value)


def test_a_name_must_be_a_string_as_in_cpython():
    for real, ours, call in ((pwd, spwd, "getpwnam"), (grp, sgrp, "getgrnam")):
        with pytest.raises(TypeError) as expected:
            getattr(real, call)(0)
        with pytest.raises(TypeError) as got:
            getattr(ours, call)(0)
        assert str(got.value) == str(expected.value)


def test_the_real_modules_are_kept_where_they_exist():
    before = sys.modules["pwd"]
    nousers.install()
    assert sys.modules["pwd"] is before
