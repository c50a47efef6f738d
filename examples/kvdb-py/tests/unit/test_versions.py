"""Poetry's version constraints in the charm library (charms.kvdb.v0.upgrade),
the same table as the Rust version's (guest-sdk/src/version.rs). Pure
Python: runs on the host, no charm built."""

import pytest
from charms.kvdb.v0.upgrade import (
    Constraint,
    Dependency,
    VersionError,
    check_dependencies,
    compare_versions,
    parse_version,
    satisfies,
)

# (constraint, version, allowed): Poetry's documented examples, the seed's
# dependency models, and the edges around each bound.
TABLE = [
    # caret
    ("^1.2.3", "1.2.3", True),
    ("^1.2.3", "1.9.9", True),
    ("^1.2.3", "2.0.0", False),
    ("^1.2.3", "1.2.2", False),
    ("^1.2", "1.2.0", True),
    ("^1.2", "1.99", True),
    ("^1.2", "2", False),
    ("^1", "1.0.0", True),
    ("^1", "2.0.0", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.3", True),
    ("^0.0.3", "0.0.4", False),
    ("^0.0", "0.0.9", True),
    ("^0.0", "0.1.0", False),
    ("^0", "0.9.9", True),
    ("^0", "1.0.0", False),
    ("^3", "3.3.2", True),
    ("^3", "4", False),
    # tilde
    ("~1.2.3", "1.2.3", True),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("~1.2", "1.2.0", True),
    ("~1.2", "1.3", False),
    ("~1", "1.9", True),
    ("~1", "2.0", False),
    ("~3.3", "3.3.2", True),
    ("~3.3", "3.4.0", False),
    ("~3.3", "3.2.9", False),
    # compatible release
    ("~=1.2", "1.9", True),
    ("~=1.2", "2.0", False),
    ("~=1.2.3", "1.2.5", True),
    ("~=1.2.3", "1.3", False),
    # wildcards
    ("*", "0", True),
    ("*", "123.4", True),
    ("1.*", "1.0", True),
    ("1.*", "1.99.1", True),
    ("1.*", "2.0", False),
    ("1.2.*", "1.2.7", True),
    ("1.2.*", "1.3.0", False),
    ("!=1.2.*", "1.2.7", False),
    ("!=1.2.*", "1.3.0", True),
    # comparisons (the seed's `>90`, `>50`, `>=0.8`, `>5`)
    (">90", "100", True),
    (">90", "90", False),
    (">=0.8", "0.8", True),
    (">=0.8", "0.7.9", False),
    (">5", "5.0.1", True),
    ("<2", "1.9.9", True),
    ("<2", "2.0", False),
    ("<=2", "2.0.0", True),
    ("==1.2", "1.2.0", True),
    ("=1.2", "1.2.1", False),
    ("1.2.3", "1.2.3", True),
    ("!=1.2.3", "1.2.3", False),
    ("!=1.2.3", "1.2.4", True),
    # ranges and alternatives
    (">=1.2, <1.5", "1.4.9", True),
    (">=1.2, <1.5", "1.5", False),
    (">= 1.2 < 1.5", "1.3", True),
    (">=1.2,<1.5", "1.1", False),
    ("^1 || ^3", "3.1", True),
    ("^1 || ^3", "2.1", False),
    ("v1.2.3", "1.2.3", True),
    # the kvdb revisions' constraints against the running 1.0
    ("^1.0", "1.0", True),
    ("~1.5", "1.0", False),
]


def test_the_table_has_the_rust_versions_cases_and_kvdbs():
    assert len(TABLE) == 62 + 2


@pytest.mark.parametrize(("constraint", "version", "allowed"), TABLE)
def test_poetrys_constraints_hold_as_documented(constraint, version, allowed):
    assert satisfies(version, constraint) is allowed, f"{version} against {constraint}"


def test_versions_compare_with_missing_components_as_zeros():
    assert compare_versions(parse_version("3.3"), parse_version("3.3.0")) == 0
    assert compare_versions(parse_version("3.10"), parse_version("3.9")) == 1
    assert compare_versions(parse_version("90"), parse_version("100")) == -1
    assert parse_version(" v1.2.0 ") == (1, 2, 0)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("", "an empty alternative"),
        ("^", "an empty version"),
        ("^1.x", '"x" is not a number'),
        (">=1.2.3-rc1", "is not a number"),
        ("~=1", "~= needs two components"),
        (">*", "`*` only stands alone"),
        ("<1.*", "a wildcard takes"),
        ("^1 ||", "an empty alternative"),
        ("1.2.3.4.5.6.7.8.9", "more than 8 components"),
        ("99999999999999999999999", "is not a number"),
        (">1," * 400, "longer than 1024 bytes"),
        (">1," * 100, "more than 64 clauses"),
    ],
)
def test_malformed_constraints_are_refused_naming_the_problem(bad, reason):
    with pytest.raises(VersionError) as e:
        Constraint(bad)
    assert reason in e.value.reason
    assert str(e.value).startswith('invalid version constraint "')


def test_a_malformed_version_is_refused():
    with pytest.raises(VersionError, match="is not a number"):
        satisfies("1.2.3-rc1", ">1")


def test_a_dependency_is_checked_when_it_is_declared():
    raw = {"name": "kvdb", "version": "1.0", "upgrade_supported": ">=0.9"}
    dep = Dependency.from_dict("kvdb_service", raw)
    assert dep.upgrade_supported == ">=0.9"
    with pytest.raises(ValueError, match="'kvdb_service' lacks version"):
        Dependency.from_dict("kvdb_service", {"name": "kvdb", "upgrade_supported": ">1"})
    with pytest.raises(ValueError, match="'kvdb_service': invalid version constraint"):
        Dependency.from_dict("kvdb_service", {**raw, "upgrade_supported": "^x"})


def test_related_applications_versions_are_checked_against_dependencies():
    parts = {
        "kafka_service": Dependency("kafka", "3.3.2", ">=0.8", {"zookeeper": "^3"}),
    }
    assert check_dependencies(parts, {}) is None
    assert check_dependencies(parts, {"zookeeper": "3.6"}) is None
    assert (
        check_dependencies(parts, {"zookeeper": "4.0"})
        == "kafka 3.3.2 needs zookeeper ^3, but zookeeper runs 4.0"
    )
