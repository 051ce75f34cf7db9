"""The 3-digit local authority numbers that can begin an English UPN (characters 2–4, domain §4.4).

The DfE's census validation (rule 1530) accepts a post-April-1998 LA code or a recognised "pseudo
LA" code; the ranges below are that list, with the codes of the LAs made since (North and West
Northamptonshire 940–941 in 2021, Cumberland 942 and Westmorland and Furness 943 in 2023). Old codes
stay in it: a UPN keeps the number of the LA that issued it, so historic codes (835–837 before
Dorset's 2019 merger) still appear. An unknown number is only ever a warning — the list changes and
an LA's own systems are the authority — never a reason to refuse a register.
"""

from __future__ import annotations

_RANGES: tuple[tuple[int, int], ...] = (
    (1, 5), (201, 213), (301, 320), (330, 336), (340, 344), (350, 359), (370, 373), (380, 384),
    (390, 394), (420, 420), (660, 681), (701, 708), (800, 803), (805, 808), (810, 813), (815, 816),
    (820, 823), (825, 826), (830, 831), (835, 841), (845, 846), (850, 852), (855, 857), (860, 861),
    (865, 896), (908, 909), (916, 916), (919, 919), (921, 921), (925, 926), (928, 929), (931, 931),
    (933, 933), (935, 938), (940, 943),
)

LA_NUMBERS: frozenset[str] = frozenset(f"{code:03d}" for low, high in _RANGES for code in range(low, high + 1))


def la_number(upn: str) -> str:
    """Characters 2–4 of a UPN: the number of the local authority that issued it."""
    return upn[1:4]


def is_known_la_number(upn: str) -> bool:
    return la_number(upn) in LA_NUMBERS
