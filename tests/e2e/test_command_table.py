"""The command table against the code: every command family declared in
server/command.h is defined in server/commands/, registered in command_table.cpp, and
every entry of every family (subcommands too) is what COMMAND LIST / COUNT / INFO / DOCS
report, with the arity, key positions, flags, group, summary and since of its source
line. The families are read from the code, so a family added later and not registered
fails here. Crescent-only: Redis's table is another one.
"""

import glob
import os
import re

import pytest

from conftest import REPO

SERVER = os.path.join(REPO, "server")

FLAG_NAMES = {
    "kCmdRead": "readonly", "kCmdWrite": "write", "kCmdAdmin": "admin", "kCmdFast": "fast",
    "kCmdNoAuth": "no_auth", "kCmdDenyOom": "denyoom", "kCmdConnection": None,
    "kCmdNoMulti": "no_multi", "kCmdRunsInMulti": None,
}

ENTRY = re.compile(
    r'\{"(?P<name>[a-z_-]+)", (?P<arity>-?\d+), (?P<flags>[^,]+), (?P<first>-?\d+), '
    r'(?P<last>-?\d+), (?P<step>-?\d+), (?P<handler>\w+), "(?P<group>[^"]+)", '
    r'"(?P<summary>(?:[^"\\]|\\.)+)", "(?P<since>[^"]+)"(?:, (?P<subs>\w+))?\}')


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def declared_families():
    return re.findall(r"std::span<const CommandSpec> (\w+Commands)\(\);", read(os.path.join(SERVER, "command.h")))


def flag_set(expr, constants):
    """Expands `kW | kCmdFast` (local constants included) to COMMAND INFO's flag names."""
    out = set()
    for token in (t.strip() for t in expr.split("|")):
        if token == "0":
            continue
        if token in constants:
            out |= flag_set(constants[token], constants)
        elif token in FLAG_NAMES:
            if FLAG_NAMES[token]:
                out.add(FLAG_NAMES[token])
        else:
            raise AssertionError(f"unknown flag {token!r} in {expr!r}")
    return out


def parse_family_files():
    """{family: {full_name: entry}} from server/commands/*.cpp."""
    families = {}
    for path in sorted(glob.glob(os.path.join(SERVER, "commands", "*.cpp"))):
        text = read(path)
        constants = dict(re.findall(r"constexpr uint32_t (\w+) = ([^;]+);", text))
        arrays = {}
        for name, body in re.findall(r"const CommandSpec (\w+)\[\] = \{\n(.*?)\n\};", text, re.S):
            entries = []
            for line in body.splitlines():
                line = line.strip()
                if not line:
                    continue
                m = ENTRY.fullmatch(line.rstrip(","))
                assert m, f"{path}: {name}: entry not in the expected form: {line}"
                entries.append(m.groupdict())
            arrays[name] = entries
        for family, array in re.findall(
                r"std::span<const CommandSpec> (\w+Commands)\(\) \{ return (\w+); \}", text):
            assert family not in families, f"{family} defined twice"
            table = {}
            for e in arrays[array]:
                e["flag_set"] = flag_set(e["flags"], constants)
                table[e["name"]] = e
                if e["subs"]:
                    for sub in arrays[e["subs"]]:
                        sub["flag_set"] = flag_set(sub["flags"], constants)
                        table[f"{e['name']}|{sub['name']}"] = sub
            families[family] = table
    return families


FAMILIES = parse_family_files()
ALL = {name: e for table in FAMILIES.values() for name, e in table.items()}
TOP = sorted(name for name in ALL if "|" not in name)


def as_map(flat):
    return dict(zip(flat[::2], flat[1::2]))


def test_every_declared_family_is_defined_and_registered():
    declared = declared_families()
    assert len(declared) >= 8, declared
    assert sorted(declared) == sorted(FAMILIES), "families declared in command.h vs defined in server/commands/"
    table_source = read(os.path.join(SERVER, "command_table.cpp"))
    for family in declared:
        assert re.search(rf"\b{family}\(\)", table_source), \
            f"{family} is not registered in CommandTable's constructor"
        assert FAMILIES[family], f"{family} has no commands"


@pytest.mark.crescent_only
def test_command_list_and_count_are_exactly_the_families_commands(raw):
    listed = sorted(n.decode() for n in raw.cmd("COMMAND", "LIST"))
    assert listed == sorted(ALL)  # subcommands too, as Redis 7.0 lists them
    assert raw.cmd("COMMAND", "COUNT") == len(TOP)
    assert len(raw.cmd("COMMAND")) == len(TOP)


@pytest.mark.crescent_only
@pytest.mark.parametrize("name", sorted(ALL))
def test_command_info_matches_the_source(raw, name):
    e = ALL[name]
    (info,) = raw.cmd("COMMAND", "INFO", name)
    assert info is not None, f"COMMAND INFO {name}: unknown"
    assert info[0].decode() == name
    assert info[1] == int(e["arity"])
    assert {f.decode() if isinstance(f, bytes) else f for f in info[2]} == e["flag_set"]
    assert info[3:6] == [int(e["first"]), int(e["last"]), int(e["step"])]
    subs = sorted(s[0].decode() for s in info[9])
    assert subs == sorted(n for n in ALL if n.startswith(name + "|")) if "|" not in name else subs == []
    # what the table's own checks rely on
    assert int(e["arity"]) != 0
    assert not {"readonly", "write"} <= e["flag_set"]
    if "denyoom" in e["flag_set"]:
        assert "write" in e["flag_set"]
    if int(e["first"]) > 0:
        assert e["flag_set"] & {"readonly", "write"}, f"{name} names keys but neither reads nor writes"
        assert int(e["first"]) < abs(int(e["arity"]))


@pytest.mark.crescent_only
@pytest.mark.parametrize("name", TOP)
def test_command_docs_match_the_source(raw, name):
    reply = raw.cmd("COMMAND", "DOCS", name)
    assert len(reply) == 2 and reply[0].decode() == name, reply
    docs = {name: as_map(reply[1])}
    for sub_name, sub_doc in as_map(as_map(reply[1]).get(b"subcommands", [])).items():
        docs[sub_name.decode()] = as_map(sub_doc)
    assert sorted(docs) == sorted(n for n in ALL if n == name or n.startswith(name + "|"))
    for full_name, doc in docs.items():
        e = ALL[full_name]
        assert doc[b"summary"].decode() == e["summary"].replace('\\"', '"'), full_name
        assert doc[b"group"].decode() == e["group"], full_name
        assert doc[b"since"].decode() == e["since"], full_name
        if e["handler"] != "nullptr":
            assert b"complexity" in doc, f"{full_name} has no entry in command_docs.cpp"
