"""Read a staff CSV into a ``Roster`` and report every bad row at once, before any API call.

The file is what a ministry's HR or IT office can export from a spreadsheet: UTF-8
(with or without Excel's byte-order mark), a header row naming the columns
``username, full_name, email, groups`` in any order, one person per row, the groups
separated by ``;``. Row numbers in problems are the spreadsheet's (the header is row 1).
A ``password`` column is refused without reading its values: passwords never travel
in the CSV.
"""

from __future__ import annotations

import csv
from pathlib import Path

from dcctl.core.problems import Location, Problem, display_path, error, sort_problems, warning
from dcctl.core.schema_problems import did_you_mean
from dcctl.people.model import COLUMNS, GROUP_SEPARATOR, USERNAME_RE, Roster, StaffMember
from dcctl.tenants.model import EMAIL_RE


def load_roster(path: Path, tenant: str, groups: list[str]) -> tuple[Roster, list[Problem]]:
    """The staff of ``tenant`` from ``path``; ``groups`` are the tenant's group short names."""
    shown = display_path(Path(path))
    empty = Roster(tenant=tenant, file=shown, members=())
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return empty, [error(Location(shown), "no such file", "give the path of the staff CSV", "no-file")]
    except UnicodeDecodeError as exc:
        return empty, [error(Location(shown), f"not UTF-8 text (byte {exc.start})",
                             "save the spreadsheet as 'CSV UTF-8'", "not-utf8")]
    lines = text.splitlines()
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        return empty, [error(Location(shown, 1, 1), "the file is empty: it needs a header row",
                             f"the first row names the columns: {','.join(COLUMNS)}", "no-header")]
    names = [h.strip().lower() for h in header]
    header_problems = _header_problems(shown, header, names)
    if header_problems:
        return empty, header_problems
    index = {name: names.index(name) for name in COLUMNS}
    problems: list[Problem] = []
    members: list[StaffMember] = []
    first_row_of: dict[str, int] = {}
    first_email_row: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(error(Location(shown, line, 1), f"row {line}: {exc}",
                                  "check the quotes in this row", "bad-row"))
            break
        if not any(f.strip() for f in fields):
            continue  # a blank line
        raw = lines[line - 1] if line - 1 < len(lines) else ""

        def at(value: str = "") -> Location:  # the value's place in the line when it can be found
            found = raw.find(value) if value else -1
            return Location(shown, line, found + 1 if found >= 0 else 1)

        if len(fields) != len(names):
            problems.append(error(at(), f"row {line} has {len(fields)} field(s), the header has {len(names)}",
                                  "a comma inside a value needs the value in double quotes", "field-count"))
            continue
        value = {name: fields[i].strip() for name, i in index.items()}
        row_problems: list[Problem] = []
        username = value["username"]
        if not username:
            row_problems.append(error(at(), f"row {line}: the username is empty", "fill it in or remove the row",
                                      "no-username"))
        elif not USERNAME_RE.match(username):
            hint = (f"write it in lower case: '{username.lower()}'" if USERNAME_RE.match(username.lower()) else
                    "3 to 64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter")
            row_problems.append(error(at(username), f"row {line}: username '{username}' is not valid", hint,
                                      "bad-username"))
        elif username in first_row_of:
            row_problems.append(error(at(username),
                                      f"row {line}: username '{username}' is also on row {first_row_of[username]}",
                                      "each person has one row: merge the two rows (list every group in one)",
                                      "duplicate-username"))
        else:
            first_row_of[username] = line
        if not value["full_name"]:
            row_problems.append(error(at(), f"row {line}: the full name of '{username or '?'}' is empty",
                                      "fill in the person's name", "no-name"))
        email = value["email"].lower()
        if not EMAIL_RE.match(email):
            row_problems.append(error(at(value["email"]),
                                      f"row {line}: e-mail '{value['email']}' of '{username or '?'}' "
                                      "is not an e-mail address",
                                      "write it as name@ministry.gov.iq", "bad-email"))
        elif email in first_email_row:
            row_problems.append(warning(at(value["email"]),
                                        f"row {line}: e-mail '{email}' is also on row {first_email_row[email]}",
                                        "two accounts for one person? check the rows", "duplicate-email"))
        else:
            first_email_row[email] = line
        wanted = [g.strip() for g in value["groups"].split(GROUP_SEPARATOR) if g.strip()]
        for group in wanted:
            if group not in groups:
                row_problems.append(error(at(group), f"row {line}: tenant '{tenant}' has no group '{group}'",
                                          did_you_mean(group, groups) or "the tenant's request lists no groups",
                                          "unknown-group"))
        if not wanted:
            row_problems.append(warning(at(), f"row {line}: '{username or '?'}' is in no group",
                                        "they could sign in but reach nothing: add a group "
                                        f"({', '.join(groups)})", "no-group"))
        problems += row_problems
        if not any(p.severity.value == "error" for p in row_problems):
            members.append(StaffMember(username=username, full_name=value["full_name"], email=email,
                                       groups=tuple(dict.fromkeys(wanted)), line=line))
    return Roster(tenant=tenant, file=shown, members=tuple(members)), sort_problems(problems)


def _header_problems(shown: str, header: list[str], names: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    for i, name in enumerate(names):
        where = Location(shown, 1, 1 + len(",".join(header[:i])) + (1 if i else 0))
        if "pass" in name or "secret" in name:
            problems.append(error(where, f"column '{header[i].strip()}': the CSV must not hold passwords",
                                  "delete the column and its values; dcctl gives each new user a one-time "
                                  "password in a file only you can read", "password-column"))
        elif name not in COLUMNS:
            problems.append(error(where, f"unknown column '{header[i].strip()}'", did_you_mean(name, COLUMNS),
                                  "unknown-column"))
        elif names.index(name) != i:
            problems.append(error(where, f"column '{name}' appears twice", "keep one", "duplicate-column"))
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        problems.append(error(Location(shown, 1, 1), f"missing column(s): {', '.join(missing)}",
                              f"the header row names the columns: {','.join(COLUMNS)}", "missing-column"))
    return problems
