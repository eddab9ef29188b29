"""berjasa.os_errors: an operating-system error in the words that send the operator
to the right fix."""

from __future__ import annotations

from berjasa.os_errors import os_error_text


def test_windows_errors_that_their_errno_would_misname():
    """Excel holding the export open is WinError 32, mapped to errno EACCES: "no
    permission" sent the operator to the wrong fix; closing Excel is the right one."""
    in_use = OSError(13, "The process cannot access the file", "iuran.xlsx")
    in_use.winerror = 32  # what Windows sets beside errno
    assert "dibuka program lain" in os_error_text(in_use)
    assert os_error_text(PermissionError(13, "Permission denied")) == "tidak punya izin"
