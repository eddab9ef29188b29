"""Synthetic data for the demo, the tests and the benchmarks; no real person's data.

- :mod:`.enrollments`: the one enrollment generator (:class:`EnrollmentFaker`: phone
  payloads and approved records; :func:`approved_records` for the agent's shape);
- :mod:`.numbers`: NIK and KK numbers that pass :mod:`berjasa.identity`
  (:func:`make_nik`, :func:`make_kk`), and a record made to be born on a day
  (:func:`born_on`) or to carry another's NIK (:func:`same_nik`) consistently;
- :mod:`.program_data`: the DTSEN, BPJS participant and cohort files central imports;
- :mod:`.identity_pairs`: labelled name pairs for central's identity matcher.
"""

from berjasa.synthetic.enrollments import RELATIONS, WORK, EnrollmentFaker, approved_records
from berjasa.synthetic.numbers import born_on, make_kk, make_nik, same_nik
from berjasa.synthetic.program_data import ProgramDataFaker, write_program_data

__all__ = [
    "RELATIONS",
    "WORK",
    "EnrollmentFaker",
    "ProgramDataFaker",
    "approved_records",
    "born_on",
    "make_kk",
    "make_nik",
    "same_nik",
    "write_program_data",
]
