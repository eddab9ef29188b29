"""NIK masking in logs; the one error shape."""

from __future__ import annotations

import logging

import pytest

from berjasa import problems
from berjasa.logs import get_logger, mask_identity_numbers


def test_sixteen_digit_numbers_are_masked():
    assert mask_identity_numbers("q=7371014101900001&x") == "q=737101******0001&x"
    assert mask_identity_numbers("73710141019000011") == "73710141019000011"  # 17 digits: not a NIK


def test_berjasa_loggers_mask_whatever_the_handler(caplog):
    log = get_logger("berjasa.test")
    with caplog.at_level(logging.INFO):
        log.info("NIK %s ditolak", "7371014101900001")
    assert "7371014101900001" not in caplog.text
    assert "737101******0001" in caplog.text


def all_problems():
    found, todo = [], [problems.Problem]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", all_problems(), ids=lambda c: c.__name__)
def test_every_problem_has_a_code_status_and_indonesian_message(cls):
    arguments = {problems.ValidationFailed: ({"f": ["m"]}, {"f": ["c"]}),
                 problems.SyncProtocolRefused: ("bad_signature", 401, "Tanda tangan salah.")}
    if issubclass(cls, problems.ValidationFailed):
        cls_arguments = arguments[problems.ValidationFailed]
    else:
        cls_arguments = arguments.get(cls, ())
    instance = cls(*cls_arguments)
    body = instance.to_dict()
    assert body["code"] and body["code"].islower() and " " not in body["code"]
    assert body["message"]
    assert 400 <= instance.status < 600
