"""Text analysis shared by the index and the search: the same words must become the same
terms on both sides.

Porter stemming joins regular forms (deported, deportation -> deport); a table of irregular
English verbs joins the forms a stemmer cannot (spoke, spoken -> speak; fled -> flee), the way
WordNet's morphology uses exception lists. Accents are folded so that Rémy matches Remy.
"""

from __future__ import annotations

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

# Irregular past tenses and participles -> base form. Only unambiguous forms: "left", "lead",
# "saw", "found", "felt", "lay", "wound" are also other words, so they are not here.
_IRREGULAR = {
    "arose": "arise", "arisen": "arise", "awoke": "awake", "awoken": "awake",
    "became": "become", "began": "begin", "begun": "begin", "bent": "bend",
    "bit": "bite", "bitten": "bite", "bled": "bleed", "blew": "blow", "blown": "blow",
    "broke": "break", "broken": "break", "brought": "bring", "built": "build",
    "burnt": "burn", "bought": "buy", "caught": "catch", "chose": "choose",
    "chosen": "choose", "came": "come", "crept": "creep", "dealt": "deal", "dug": "dig",
    "did": "do", "done": "do", "drew": "draw", "drawn": "draw", "dreamt": "dream",
    "drank": "drink", "drunk": "drink", "drove": "drive", "driven": "drive", "ate": "eat",
    "eaten": "eat", "fell": "fall", "fallen": "fall", "fed": "feed", "fought": "fight",
    "fled": "flee", "flew": "fly", "flown": "fly", "forbade": "forbid",
    "forbidden": "forbid", "forgot": "forget", "forgotten": "forget", "forgave": "forgive",
    "forgiven": "forgive", "froze": "freeze", "frozen": "freeze", "got": "get",
    "gotten": "get", "gave": "give", "given": "give", "went": "go", "gone": "go",
    "grew": "grow", "grown": "grow", "hung": "hang", "had": "have", "heard": "hear",
    "hid": "hide", "hidden": "hide", "held": "hold", "kept": "keep", "knelt": "kneel",
    "knew": "know", "known": "know", "laid": "lay", "lent": "lend", "lit": "light",
    "lost": "lose", "made": "make", "meant": "mean", "met": "meet", "paid": "pay",
    "rode": "ride", "ridden": "ride", "rang": "ring", "rung": "ring", "rose": "rise",
    "risen": "rise", "ran": "run", "said": "say", "seen": "see", "sought": "seek",
    "sold": "sell", "sent": "send", "shook": "shake", "shaken": "shake", "shone": "shine",
    "shot": "shoot", "shown": "show", "shrank": "shrink", "sang": "sing", "sung": "sing",
    "sank": "sink", "sunk": "sink", "sat": "sit", "slept": "sleep", "slid": "slide",
    "spoke": "speak", "spoken": "speak", "sped": "speed", "spent": "spend", "spun": "spin",
    "sprang": "spring", "sprung": "spring", "stood": "stand", "stole": "steal",
    "stolen": "steal", "stuck": "stick", "stung": "sting", "struck": "strike",
    "strove": "strive", "swore": "swear", "sworn": "swear", "swept": "sweep",
    "swam": "swim", "swum": "swim", "swung": "swing", "took": "take", "taken": "take",
    "taught": "teach", "tore": "tear", "torn": "tear", "told": "tell", "thought": "think",
    "threw": "throw", "thrown": "throw", "understood": "understand", "woke": "wake",
    "woken": "wake", "wore": "wear", "worn": "wear", "wept": "weep", "won": "win",
    "withdrew": "withdraw", "withdrawn": "withdraw", "wrote": "write", "written": "write",
}  # fmt: skip


def lemma_stem(word: str) -> str:
    """Porter stem of the word's base form. A module-level function, because Whoosh pickles
    the analyzer into the index."""
    return stem(_IRREGULAR.get(word, word))


# Words too common to carry meaning in a question or a passage.
STOP = frozenset(STOP_WORDS) | frozenset(
    "about after all also am any been before being both but could did do does doing down during "
    "each few further had has having he her here hers him his how i into its itself just me more "
    "most my no nor now off once only other our ours out over own same she should so some such "
    "than their theirs them then there these they those through too under until up very was were "
    "what where which while who whom whose why would".split()
)
# Apostrophes split words: "Tesla's" must match "Tesla" (measured: SQuAD Hit@1 +1 point).
TOKEN_PATTERN = r"\w+(?:\.\w+)*"


def stemming_analyzer() -> Analyzer:
    """Lower-case, accent-folded (Rémy = Remy), stop words out, Porter-stemmed."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP, minsize=2)
        | StemFilter(stemfn=lemma_stem, cachesize=-1)
    )


def plain_analyzer() -> Analyzer:
    """Unstemmed words for "did you mean": corrections must be real words, not stems."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)
