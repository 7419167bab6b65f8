"""The audit log file on its own: a torn last line is survivable, anchors catch what the chain cannot."""

from __future__ import annotations

import json

from mmp_resources.audit_log import Anchor, AuditLog, _entry_hash


def _log(tmp_path, n: int = 3) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append(kind="model", subject="fraud", action="promote", actor="bob", to_version=str(i + 1))
    return log


def test_a_torn_last_line_is_reported_and_the_next_append_chains_past_it(tmp_path):
    log = _log(tmp_path)
    with open(log.path, "a") as fh:
        fh.write('{"seq": 4, "at": "2026-')  # the process died mid-write
    assert [e["seq"] for e in log.entries()] == [1, 2, 3]
    entry = log.append(kind="model", subject="fraud", action="rollback", actor="bob")
    assert (entry["seq"], entry["prev_hash"]) == (4, log.entries()[2]["hash"])
    checked = log.check()
    assert checked.problems == [] and checked.entries == 4
    assert checked.notices == [f"{log.path}:4: torn line (23 characters, not a complete entry): a write was interrupted; "
                               "it is not part of the chain and later entries chain past it"]


def test_a_last_entry_without_its_newline_is_kept_and_not_glued_to_the_next(tmp_path):
    log = _log(tmp_path)
    log.path.write_text(log.path.read_text().rstrip("\n"))
    log.append(kind="model", subject="fraud", action="rollback", actor="bob")
    assert [e["seq"] for e in log.entries()] == [1, 2, 3, 4] and log.check().problems == [] == log.check().notices


def test_deleting_the_last_lines_is_caught_by_an_anchor(tmp_path):
    log = _log(tmp_path)
    head = log.entries()[-1]
    log.path.write_text("".join(line + "\n" for line in log.path.read_text().splitlines()[:1]))
    assert log.verify() == []  # what is left is a consistent chain
    assert log.verify([Anchor(head["seq"], head["hash"], "model fraud tag mmp.audit_head")]) == [
        f"{log.path}: ends at entry 1, but model fraud tag mmp.audit_head records entry 3: lines were deleted from its end "
        "or the file was truncated"]


def test_truncating_the_file_is_caught_and_does_not_crash(tmp_path):
    log = _log(tmp_path)
    head = log.entries()[-1]
    first = log.path.read_bytes().index(b"\n") + 1
    log.path.write_bytes(log.path.read_bytes()[: first + 50])  # entry 1 and the start of entry 2
    checked = log.check([Anchor(head["seq"], head["hash"], "model fraud tag mmp.audit_head")])
    assert len(checked.notices) == 1 and "torn line" in checked.notices[0]
    assert checked.problems[0].endswith("lines were deleted from its end or the file was truncated")
    assert log.append(kind="model", subject="fraud", action="promote", actor="bob")["seq"] == 2


def test_deleting_the_file_is_caught_by_an_anchor(tmp_path):
    log = _log(tmp_path)
    anchors = [Anchor(e["seq"], e["hash"], f"run param mmp.audit.{e['seq']}") for e in log.entries()]
    log.path.unlink()
    assert log.verify(anchors) == [f"{log.path}: missing, but run param mmp.audit.3 records entry 3 (3 anchor(s) in all): "
                                   "the log was deleted"]


def test_rewriting_an_entry_and_rehashing_the_chain_is_caught_by_an_anchor(tmp_path):
    log = _log(tmp_path)
    head = log.entries()[-1]
    forged, prev = [], "0" * 64
    for entry in log.entries():
        entry["details"]["to_version"] = "9" if entry["seq"] == 2 else entry["details"]["to_version"]
        entry["prev_hash"] = prev
        entry["hash"] = prev = _entry_hash(entry)
        forged.append(json.dumps(entry, sort_keys=True))
    log.path.write_text("\n".join(forged) + "\n")
    assert log.verify() == []
    assert log.verify([Anchor(3, head["hash"], "model fraud tag mmp.audit_head")]) == [
        f"{log.path}: entry 3 has hash {prev[:12]}, but model fraud tag mmp.audit_head recorded {head['hash'][:12]}: "
        "entries were rewritten and the chain re-hashed"]


def test_the_last_entry_is_found_across_read_chunks_and_past_a_long_torn_line(tmp_path):
    log, prev, lines = AuditLog(tmp_path / "audit.jsonl"), "0" * 64, []
    for seq in range(1, 201):  # ~200 KB: the backwards read crosses several 64 KiB chunks
        entry = {"seq": seq, "at": "t", "kind": "model", "subject": "fraud", "action": "note", "actor": "bob",
                 "details": {"pad": "x" * 900}, "prev_hash": prev}
        entry["hash"] = prev = _entry_hash(entry)
        lines.append(json.dumps(entry, sort_keys=True))
    log.path.write_text("\n".join(lines) + "\n" + '{"seq": 201, "details": {"pad": "' + "y" * 70_000)
    assert log.append(kind="model", subject="fraud", action="note", actor="bob")["prev_hash"] == prev
    checked = log.check()
    assert checked.problems == [] and checked.entries == 201 and len(checked.notices) == 1


def test_an_entry_rewritten_into_another_shape_breaks_the_chain_instead_of_crashing(tmp_path):
    log = _log(tmp_path)
    lines = log.path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["seq"], entry["details"] = "2", ["not", "a", "dict"]
    lines[1] = json.dumps(entry)
    log.path.write_text("\n".join(lines) + "\n")
    checked = log.check()
    assert [e["seq"] for e in log.entries()] == [1, 3]
    assert checked.problems == [f"{log.path}:3: sequence 3 where 2 was expected (entry deleted or reordered)",
                                f"{log.path}:3: prev_hash does not match the entry before it (entry deleted or reordered)"]
