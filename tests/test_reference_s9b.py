"""Reference documentation, session 9 second round (BENCHMARKS.md "Man pages (session 9,
second round)"): entries and pages written for these tests.
"""

from __future__ import annotations

from frontdesk import cross_refs, entry_match, options, reference, verify

RENEW = (
    "-r <title>, --renew <title>\n"
    "Extend the loan of <title> by another period; see lib-loans(7) for details."
)


def test_a_verbatim_quote_keeps_its_see_also_clause() -> None:
    # "git checkout -b" lost its trailing "; see git-branch(1) for details.": in a quote of the
    # evidence's own words the clause is what the evidence says, not a claim about that page
    question = "What does --renew do?"
    answer = "Extend the loan of <title> by another period; see lib-loans(7) for details."
    verdict = verify.verify(answer, question, [RENEW])
    assert verdict.supported, verdict.problems
    assert verdict.answer == answer
    # a wrapped reference is the same reference
    wrapped = RENEW.replace("lib-loans(7)", "lib-\n    loans(7)")
    assert verify.verify(answer, question, [wrapped]).supported


def test_a_page_only_named_still_supports_no_claim_about_it() -> None:
    # the session 9 rule stands: words of a See-also reference the answer does not quote
    refs = "Show the loans. See also lib-renew(1) and lib-return(1)."
    told = "Use lib-return to give a book back."
    assert not verify.verify(told, "How do I give a book back?", [refs]).supported
    assert cross_refs.without_references(refs, quoted=told).count("lib-return") == 0
    kept = cross_refs.without_references(RENEW, quoted="see lib-loans(7) for details.")
    assert "lib-loans(7)" in kept


LOAN_ENTRIES = [
    "-e, --edit With this option, lib renew lets you edit the loan note before the loan is "
    "renewed.",
    "-q, --quiet Usually the desk writes to you about every renewal. This flag extends the "
    "loans on your card but does not send the notice.",
]


def test_an_entry_is_described_by_a_later_sentence_of_its_description() -> None:
    # "Which git revert option applies the changes without making a commit?": -n's first
    # sentence says what usually happens, its second what the option does
    q = "Which lib renew option extends the loans without sending a notice?"
    edit, quiet = (reference.described(q, e, "lib-renew.txt") for e in LOAN_ENTRIES)
    assert quiet > edit
    assert reference.described(q, "Not an entry. Extends the loans.", "lib-renew.txt") == 0.0


def test_how_do_i_after_a_leading_clause_asks_for_an_option() -> None:
    # "When I apply a stash, how do I get back the changes I had staged as staged again?" was
    # not taken as asking for an option: the closest entry by meaning was never looked for
    assert options.asks_for_option("When I renew a loan, how do I keep the old due date?")
    assert entry_match.wanted("After a loan ends, how can I extend it?")
    assert not options.asks_for_option("When I renew a loan, what happens to the due date?")
    assert not options.asks_for_option("The desk asked how do I know it.")  # no clause of its own
