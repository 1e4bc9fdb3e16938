#!/usr/bin/env python3
"""The Python peers of the benchmark: spaCy PhraseMatcher and FlashText on a JSONL corpus.

Usage: peers.py spacy|flashtext PHRASES CORPUS.jsonl [--procs N]

Reads every line, takes its "text", counts phrase matches and prints one JSON line:
{"tool", "docs", "text_bytes", "matches", "phrases", "seconds"}. With --procs N the file is
split into N byte ranges handled by N processes (what a user would do to use N cores).

spaCy: blank("en") tokeniser + PhraseMatcher(attr="LOWER"), overlapping matches reduced to
the longest non-overlapping ones (spacy.util.filter_spans), as newstrack counts
leftmost-longest. FlashText: KeywordProcessor (case-insensitive), whose matches are already
longest and non-overlapping.
"""

import json
import os
import sys
import time
from multiprocessing import Pool


def load_phrases(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def lines_in_range(path, start, end):
    """Yields the lines that start in [start, end)."""
    with open(path, "rb") as f:
        if start > 0:
            f.seek(start - 1)
            f.readline()  # the line that began before `start` belongs to the previous range
        while f.tell() < end:
            line = f.readline()
            if not line:
                break
            yield line


def texts(path, start, end):
    for line in lines_in_range(path, start, end):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        text = doc.get("text") if isinstance(doc, dict) else None
        if isinstance(text, str):
            yield text


def run_spacy(args):
    path, start, end, phrases = args
    import spacy
    from spacy.matcher import PhraseMatcher
    from spacy.util import filter_spans

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    matcher.add("TERMS", [nlp.make_doc(p) for p in phrases])
    docs = nbytes = matches = 0
    for text in texts(path, start, end):
        doc = nlp.make_doc(text)
        spans = [doc[s:e] for _, s, e in matcher(doc)]
        matches += len(filter_spans(spans))
        docs += 1
        nbytes += len(text.encode("utf-8"))
    return docs, nbytes, matches


def run_flashtext(args):
    path, start, end, phrases = args
    from flashtext import KeywordProcessor

    kp = KeywordProcessor(case_sensitive=False)
    for p in phrases:
        kp.add_keyword(p)
    docs = nbytes = matches = 0
    for text in texts(path, start, end):
        matches += len(kp.extract_keywords(text))
        docs += 1
        nbytes += len(text.encode("utf-8"))
    return docs, nbytes, matches


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("spacy", "flashtext"):
        sys.exit(__doc__)
    tool, phrases_path, corpus = sys.argv[1:4]
    procs = int(sys.argv[sys.argv.index("--procs") + 1]) if "--procs" in sys.argv else 1
    t0 = time.perf_counter()
    phrases = load_phrases(phrases_path)
    size = os.path.getsize(corpus)
    per = -(-size // procs)
    jobs = [(corpus, i * per, min(size, (i + 1) * per), phrases) for i in range(procs)]
    fn = run_spacy if tool == "spacy" else run_flashtext
    if procs == 1:
        results = [fn(jobs[0])]
    else:
        with Pool(procs) as pool:
            results = pool.map(fn, jobs)
    docs = sum(r[0] for r in results)
    nbytes = sum(r[1] for r in results)
    matches = sum(r[2] for r in results)
    name = "spaCy PhraseMatcher" if tool == "spacy" else "FlashText"
    print(json.dumps({
        "tool": name, "docs": docs, "text_bytes": nbytes, "matches": matches,
        "phrases": len(phrases), "seconds": round(time.perf_counter() - t0, 3),
    }))


if __name__ == "__main__":
    main()
