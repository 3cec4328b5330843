"""Reading a staff CSV: every bad row at once, with its row number and what to do."""

from __future__ import annotations

from dcctl.core.problems import errors_in
from dcctl.people.roster import load_roster

GROUPS = ["admins", "operators", "supervisors"]


def load(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "staff.csv"
    path.write_bytes(text.encode(encoding))
    return load_roster(path, "cbi-epayment", GROUPS)


def messages(problems) -> list[str]:
    return [f"{p.location.line}: {p.message}" for p in problems]


def test_a_good_file_gives_one_member_per_row_with_its_groups(tmp_path):
    roster, problems = load(tmp_path, "username,full_name,email,groups\n"
                                      "zainab.kareem,Zainab Kareem — زينب كريم,Zainab.Kareem@cbi.iq,admins\n"
                                      "noor.abbas,Noor Abbas,noor@cbi.iq, operators ; supervisors \n\n")
    assert problems == []
    zainab, noor = roster.members
    assert (zainab.username, zainab.email, zainab.groups, zainab.line) == (
        "zainab.kareem", "zainab.kareem@cbi.iq", ("admins",), 2)
    assert zainab.full_name == "Zainab Kareem — زينب كريم"
    assert noor.groups == ("operators", "supervisors")


def test_columns_may_come_in_any_order_and_excel_byte_order_mark_is_fine(tmp_path):
    roster, problems = load(tmp_path, "\ufeffgroups,email,username,full_name\nadmins,a@cbi.iq,amal.r,Amal R\n")
    assert problems == [] and roster.members[0].username == "amal.r"


def test_every_bad_row_is_reported_at_once_with_its_row_number(tmp_path):
    roster, problems = load(tmp_path, "username,full_name,email,groups\n"
                                      "zainab.kareem,Zainab,zainab@cbi.iq,admins\n"
                                      "Ali.Hussein,Ali,ali@cbi,operater\n"
                                      "zainab.kareem,Zainab K,zk@cbi.iq,admins\n"
                                      ",No Name,nn@cbi.iq,operators\n"
                                      "omar,,omar@cbi.iq,supervisors\n"
                                      "a,b,c\n")
    assert messages(errors_in(problems)) == [
        "3: row 3: username 'Ali.Hussein' is not valid",
        "3: row 3: e-mail 'ali@cbi' of 'Ali.Hussein' is not an e-mail address",
        "3: row 3: tenant 'cbi-epayment' has no group 'operater'",
        "4: row 4: username 'zainab.kareem' is also on row 2",
        "5: row 5: the username is empty",
        "6: row 6: the full name of 'omar' is empty",
        "7: row 7 has 3 field(s), the header has 4",
    ]
    hints = {p.code: p.hint for p in problems}
    assert hints["bad-username"] == "write it in lower case: 'ali.hussein'"
    assert hints["unknown-group"].startswith("did you mean 'operators'?")
    assert [m.username for m in roster.members] == ["zainab.kareem"]  # only rows without errors


def test_missing_and_unknown_columns_are_named_with_a_suggestion(tmp_path):
    _, problems = load(tmp_path, "username,full_name,e-mail,group\nx,y,z,w\n")
    assert messages(problems) == ["1: unknown column 'e-mail'", "1: unknown column 'group'",
                                  "1: missing column(s): email, groups"]
    assert problems[0].hint.startswith("did you mean 'email'?")


def test_a_password_column_is_refused_and_its_values_never_echoed(tmp_path):
    _, problems = load(tmp_path, "username,full_name,email,groups,Password\nx.y,X,x@cbi.iq,admins,Sup3r-S3cret\n")
    assert [p.code for p in errors_in(problems)] == ["password-column"]
    assert "Sup3r-S3cret" not in " ".join(str(p) for p in problems)


def test_a_person_in_no_group_is_a_warning_and_a_shared_email_too(tmp_path):
    roster, problems = load(tmp_path, "username,full_name,email,groups\n"
                                      "amal.r,Amal,office@cbi.iq,\nbasim.k,Basim,office@cbi.iq,admins\n")
    assert errors_in(problems) == []
    assert {p.code for p in problems} == {"no-group", "duplicate-email"}
    assert len(roster.members) == 2


def test_a_missing_empty_or_non_utf8_file_is_one_clear_problem(tmp_path):
    assert [p.code for p in load_roster(tmp_path / "nope.csv", "t", GROUPS)[1]] == ["no-file"]
    assert [p.code for p in load(tmp_path, "")[1]] == ["no-header"]
    assert [p.code for p in load(tmp_path, "username,full_name,email,groups\nعلي,x,y@z.iq,admins\n",
                                 encoding="cp1256")[1]] == ["not-utf8"]
