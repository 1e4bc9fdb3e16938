//! Stemming: the Snowball stemmer of the pipeline's language, with a fast path for English
//! words written in ASCII that gives exactly what the Snowball stemmer gives.
//!
//! Owns `WordStemmer` (what the analyzer and the form table call) and the hand-written
//! English (Porter2) path. Knows nothing of tokens, forms or lexicons. `rust-stemmers`
//! stays the reference and the path for every other language and for words with a
//! non-ASCII byte; the fast path is proven identical by differential tests (every
//! string up to four letters over the letters the rules look at, generated words built
//! from the rules' suffixes, the Reuters vocabulary when present).
//!
//! Why by hand: rust-stemmers' generated English code spends about 3,600 instructions per
//! word (a new `String` for every replacement, a binary search of suffix tables byte by
//! byte), and stemming each distinct form was a tenth of a run's instructions. The rules
//! below are those of rust-stemmers 1.2's `english.rs` step for step, including its
//! quirks: region marks are not moved when a step changes the word, a longest suffix that
//! fails its condition does not fall back to a shorter one, and the postlude turns every
//! `Y` back into `y` once the prelude has made one.

use std::borrow::Cow;

use rust_stemmers::{Algorithm, Stemmer};

/// Longest word the fast path takes, in bytes; longer ones go to the reference.
const MAX: usize = 48;

/// The stemmer an analyzer is built with: built once, shared across threads.
pub struct WordStemmer {
    snowball: Stemmer,
    english: bool,
}

impl WordStemmer {
    pub fn new(language: Algorithm) -> WordStemmer {
        WordStemmer {
            snowball: Stemmer::create(language),
            english: matches!(language, Algorithm::English),
        }
    }

    /// The stem of a lowercased word.
    pub fn stem<'a>(&self, word: &'a str) -> Stem<'a> {
        if self.english {
            if let Some((buf, n)) = english_ascii(word.as_bytes()) {
                return Stem::Ascii(buf, n as u8);
            }
        }
        Stem::Snowball(self.snowball.stem(word))
    }
}

/// A stem: the fast path's fixed buffer, or what the reference returned. Either way no
/// allocation unless the reference made one.
pub enum Stem<'a> {
    Ascii([u8; MAX], u8),
    Snowball(Cow<'a, str>),
}

impl Stem<'_> {
    /// The same stem, no longer borrowing the word it came from.
    pub fn into_static(self) -> Stem<'static> {
        match self {
            Stem::Ascii(b, n) => Stem::Ascii(b, n),
            Stem::Snowball(c) => Stem::Snowball(Cow::Owned(c.into_owned())),
        }
    }
}

impl std::ops::Deref for Stem<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            // Only ASCII goes in and comes out of the fast path, so this never fails.
            Stem::Ascii(b, n) => std::str::from_utf8(&b[..*n as usize]).unwrap_or_default(),
            Stem::Snowball(c) => c,
        }
    }
}

fn is_v(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Snowball's `v_WXY`: the vowels, `w`, `x` and the `Y` the prelude marks.
fn is_v_wxy(c: u8) -> bool {
    matches!(
        c,
        b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'w' | b'x' | b'Y'
    )
}

/// Snowball's `valid_LI`: letters before which "li" is an ending.
fn is_li(c: u8) -> bool {
    matches!(
        c,
        b'c' | b'd' | b'e' | b'g' | b'h' | b'k' | b'm' | b'n' | b'r' | b't'
    )
}

/// Whole words with a fixed stem (`None`: the word is its own stem).
const EXCEPTION1: &[(&[u8], Option<&[u8]>)] = &[
    (b"skis", Some(b"ski")),
    (b"skies", Some(b"sky")),
    (b"dying", Some(b"die")),
    (b"lying", Some(b"lie")),
    (b"tying", Some(b"tie")),
    (b"idly", Some(b"idl")),
    (b"gently", Some(b"gentl")),
    (b"ugly", Some(b"ugli")),
    (b"early", Some(b"earli")),
    (b"only", Some(b"onli")),
    (b"singly", Some(b"singl")),
    (b"sky", None),
    (b"news", None),
    (b"howe", None),
    (b"atlas", None),
    (b"cosmos", None),
    (b"bias", None),
    (b"andes", None),
];

/// Words (after step 1a) that keep what step 1a left.
const EXCEPTION2: &[&[u8]] = &[
    b"inning", b"outing", b"canning", b"herring", b"earring", b"proceed", b"exceed", b"succeed",
];

/// What an ending needs besides lying in its step's region.
#[derive(Clone, Copy)]
enum Needs {
    Nothing,
    /// An `l` before it ("logi").
    AfterL,
    /// One of Snowball's `valid_LI` letters before it.
    AfterLi,
    /// To lie in R2 as well ("ative" in step 3, whose region is R1).
    R2,
    /// An `s` or a `t` before it ("sion", "tion").
    AfterSOrT,
}

/// (ending, what replaces it, what it needs), ordered so that where one ending ends another
/// the longer comes first: the first match is Snowball's longest.
type Endings = [(&'static [u8], &'static [u8], Needs)];

const STEP2: &Endings = &[
    (b"ational", b"ate", Needs::Nothing),
    (b"ization", b"ize", Needs::Nothing),
    (b"iveness", b"ive", Needs::Nothing),
    (b"fulness", b"ful", Needs::Nothing),
    (b"ousness", b"ous", Needs::Nothing),
    (b"tional", b"tion", Needs::Nothing),
    (b"biliti", b"ble", Needs::Nothing),
    (b"lessli", b"less", Needs::Nothing),
    (b"fulli", b"ful", Needs::Nothing),
    (b"ousli", b"ous", Needs::Nothing),
    (b"entli", b"ent", Needs::Nothing),
    (b"aliti", b"al", Needs::Nothing),
    (b"iviti", b"ive", Needs::Nothing),
    (b"alism", b"al", Needs::Nothing),
    (b"ation", b"ate", Needs::Nothing),
    (b"anci", b"ance", Needs::Nothing),
    (b"enci", b"ence", Needs::Nothing),
    (b"abli", b"able", Needs::Nothing),
    (b"alli", b"al", Needs::Nothing),
    (b"izer", b"ize", Needs::Nothing),
    (b"ator", b"ate", Needs::Nothing),
    (b"bli", b"ble", Needs::Nothing),
    (b"ogi", b"og", Needs::AfterL),
    (b"li", b"", Needs::AfterLi),
];

const STEP3: &Endings = &[
    (b"ational", b"ate", Needs::Nothing),
    (b"tional", b"tion", Needs::Nothing),
    (b"icate", b"ic", Needs::Nothing),
    (b"ative", b"", Needs::R2),
    (b"alize", b"al", Needs::Nothing),
    (b"iciti", b"ic", Needs::Nothing),
    (b"ical", b"ic", Needs::Nothing),
    (b"ness", b"", Needs::Nothing),
    (b"ful", b"", Needs::Nothing),
];

const STEP4: &Endings = &[
    (b"ement", b"", Needs::Nothing),
    (b"ment", b"", Needs::Nothing),
    (b"ance", b"", Needs::Nothing),
    (b"ence", b"", Needs::Nothing),
    (b"able", b"", Needs::Nothing),
    (b"ible", b"", Needs::Nothing),
    (b"ate", b"", Needs::Nothing),
    (b"ive", b"", Needs::Nothing),
    (b"ize", b"", Needs::Nothing),
    (b"iti", b"", Needs::Nothing),
    (b"ism", b"", Needs::Nothing),
    (b"ion", b"", Needs::AfterSOrT),
    (b"ous", b"", Needs::Nothing),
    (b"ant", b"", Needs::Nothing),
    (b"ent", b"", Needs::Nothing),
    (b"ic", b"", Needs::Nothing),
    (b"al", b"", Needs::Nothing),
    (b"er", b"", Needs::Nothing),
];

/// Steps 2, 3 and 4: the longest ending of `table` is replaced when it lies at or after
/// `region` (R1 or R2) and has what it needs; a longest ending that fails does not let a
/// shorter one try. Inlined so that each call sees its table as a constant and compares
/// the endings without calls (as a call with a table argument it cost three times as much).
#[inline(always)]
fn step(w: &mut Buf, table: &Endings, region: usize, p2: usize) {
    let word = w.word();
    let Some(&(ending, to, needs)) = table.iter().find(|(e, ..)| word.ends_with(e)) else {
        return;
    };
    let s = word.len() - ending.len();
    let before = s.checked_sub(1).map(|i| word[i]);
    let ok = region <= s
        && match needs {
            Needs::Nothing => true,
            Needs::AfterL => before == Some(b'l'),
            Needs::AfterLi => before.is_some_and(is_li),
            Needs::R2 => p2 <= s,
            Needs::AfterSOrT => matches!(before, Some(b's' | b't')),
        };
    if ok {
        w.replace_end(s, to);
    }
}

/// The word being stemmed: a fixed buffer, as no step makes a word longer than it came in.
struct Buf {
    b: [u8; MAX],
    n: usize,
}

impl Buf {
    fn word(&self) -> &[u8] {
        &self.b[..self.n]
    }

    /// Replaces everything from `at` to the end with `with`.
    fn replace_end(&mut self, at: usize, with: &[u8]) {
        self.b[at..at + with.len()].copy_from_slice(with);
        self.n = at + with.len();
    }
}

/// Snowball's `shortv` with the cursor at `k`: the word up to `k` ends in a short syllable.
fn shortv(w: &[u8], k: usize) -> bool {
    (k >= 3 && !is_v_wxy(w[k - 1]) && is_v(w[k - 2]) && !is_v(w[k - 3]))
        || (k == 2 && !is_v(w[1]) && is_v(w[0]))
}

/// The first position after a vowel followed by a non-vowel at or after `from`.
fn region_start(w: &[u8], from: usize) -> Option<usize> {
    let v = from + w[from..].iter().position(|&c| is_v(c))? + 1;
    Some(v + w[v..].iter().position(|&c| !is_v(c))? + 1)
}

/// Stems an ASCII word as rust-stemmers' English stemmer does, or `None` when the word is
/// not ASCII or too long for the buffer.
fn english_ascii(word: &[u8]) -> Option<([u8; MAX], usize)> {
    if word.len() > MAX || !word.is_ascii() {
        return None;
    }
    let mut w = Buf { b: [0; MAX], n: 0 };
    if let Some(&(_, to)) = EXCEPTION1.iter().find(|(from, _)| *from == word) {
        w.replace_end(0, to.unwrap_or(word));
        return Some((w.b, w.n));
    }
    w.replace_end(0, word);
    if word.len() < 3 {
        return Some((w.b, w.n));
    }

    // Prelude: a leading apostrophe goes; y as a consonant becomes Y.
    if w.b[0] == b'\'' {
        w.b.copy_within(1..w.n, 0);
        w.n -= 1;
    }
    let mut y_found = false;
    if w.n > 0 && w.b[0] == b'y' {
        w.b[0] = b'Y';
        y_found = true;
    }
    for i in 1..w.n {
        if w.b[i] == b'y' && is_v(w.b[i - 1]) {
            w.b[i] = b'Y';
            y_found = true;
        }
    }

    // Regions: marked once, never moved as the steps shorten the word.
    let n = w.n;
    let prefix = [&b"gener"[..], b"commun", b"arsen"]
        .into_iter()
        .find(|p| w.word().starts_with(p));
    let (p1, p2) = match prefix
        .map(|p| p.len())
        .or_else(|| region_start(w.word(), 0))
    {
        Some(p1) => (p1, region_start(w.word(), p1).unwrap_or(n)),
        None => (n, n),
    };

    // Step 1a.
    for s in [&b"'s'"[..], b"'s", b"'"] {
        if w.word().ends_with(s) {
            w.n -= s.len();
            break;
        }
    }
    let word = w.word();
    let n = w.n;
    if word.ends_with(b"sses") {
        w.n -= 2;
    } else if word.ends_with(b"ied") || word.ends_with(b"ies") {
        let s = n - 3;
        w.replace_end(s, if s >= 2 { b"i" } else { b"ie" });
    } else if word.ends_with(b"ss") || word.ends_with(b"us") {
        // Kept: these endings win over a bare "s" and do nothing.
    } else if word.ends_with(b"s") && n >= 2 && word[..n - 2].iter().any(|&c| is_v(c)) {
        w.n -= 1;
    }

    if !EXCEPTION2.contains(&w.word()) {
        step_1b(&mut w, p1);
        // Step 1c.
        let n = w.n;
        if n >= 3 && matches!(w.b[n - 1], b'y' | b'Y') && !is_v(w.b[n - 2]) {
            w.b[n - 1] = b'i';
        }
        step(&mut w, STEP2, p1, p2);
        step(&mut w, STEP3, p1, p2);
        step(&mut w, STEP4, p2, p2);
        step_5(&mut w, p1, p2);
    }

    if y_found {
        for c in &mut w.b[..w.n] {
            if *c == b'Y' {
                *c = b'y';
            }
        }
    }
    Some((w.b, w.n))
}

fn step_1b(w: &mut Buf, p1: usize) {
    let word = w.word();
    let found = [
        (&b"eedly"[..], true),
        (b"ingly", false),
        (b"edly", false),
        (b"eed", true),
        (b"ing", false),
        (b"ed", false),
    ]
    .into_iter()
    .find(|(s, _)| word.ends_with(s));
    let Some((suffix, eed)) = found else {
        return;
    };
    let s = w.n - suffix.len();
    if eed {
        if p1 <= s {
            w.replace_end(s, b"ee");
        }
        return;
    }
    if !word[..s].iter().any(|&c| is_v(c)) {
        return;
    }
    w.n = s;
    let word = w.word();
    if [&b"at"[..], b"bl", b"iz"].iter().any(|e| word.ends_with(e)) {
        w.replace_end(s, b"e");
    } else if s >= 2
        && word[s - 1] == word[s - 2]
        && matches!(
            word[s - 1],
            b'b' | b'd' | b'f' | b'g' | b'm' | b'n' | b'p' | b'r' | b't'
        )
    {
        w.n -= 1;
    } else if s == p1 && shortv(word, s) {
        w.replace_end(s, b"e");
    }
}

fn step_5(w: &mut Buf, p1: usize, p2: usize) {
    let Some(s) = w.n.checked_sub(1) else {
        return;
    };
    match w.b[s] {
        b'e' if p2 <= s || (p1 <= s && !shortv(w.word(), s)) => w.n = s,
        b'l' if p2 <= s && s >= 1 && w.b[s - 1] == b'l' => w.n = s,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(word: &str) -> String {
        Stemmer::create(Algorithm::English).stem(word).into_owned()
    }

    fn fast(word: &str) -> String {
        let (b, n) = english_ascii(word.as_bytes()).expect("ASCII word within MAX");
        String::from_utf8(b[..n].to_vec()).unwrap()
    }

    /// One case per rule and per quirk of the reference, checked against both paths.
    #[test]
    fn rules_match_the_reference() {
        let table = [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("ties", "tie"),
            ("cries", "cri"),
            ("gas", "gas"),
            ("gaps", "gap"),
            ("kiwis", "kiwi"),
            ("'s", "'s"),
            ("dog's", "dog"),
            ("dogs'", "dog"),
            ("'tariffs", "tariff"),
            ("agreed", "agre"),
            ("feed", "feed"),
            ("luxuriated", "luxuri"),
            ("hopping", "hop"),
            ("hoping", "hope"),
            ("filing", "file"),
            ("sized", "size"),
            ("troubled", "troubl"),
            ("cry", "cri"),
            ("by", "by"),
            ("say", "say"),
            ("sayyid", "sayyid"),
            ("yelling", "yell"),
            ("relational", "relat"),
            ("conditional", "condit"),
            ("valenci", "valenc"),
            ("hesitanci", "hesit"),
            ("digitizer", "digit"),
            ("conformabli", "conform"),
            ("radicalli", "radic"),
            ("differentli", "differ"),
            ("vileli", "vile"),
            ("analogousli", "analog"),
            ("vietnamization", "vietnam"),
            ("predication", "predic"),
            ("operator", "oper"),
            ("feudalism", "feudal"),
            ("decisiveness", "decis"),
            ("hopefulness", "hope"),
            ("callousness", "callous"),
            ("formaliti", "formal"),
            ("sensitiviti", "sensit"),
            ("sensibiliti", "sensibl"),
            ("archaeology", "archaeolog"),
            ("triplicate", "triplic"),
            ("formative", "format"),
            // Found by the property test against mutants: "ative" needs R2 as well, "ogi"
            // an l before it.
            ("ubative", "ubat"),
            ("oyogi", "oyogi"),
            ("formalize", "formal"),
            ("electriciti", "electr"),
            ("electrical", "electr"),
            ("hopeful", "hope"),
            ("goodness", "good"),
            ("revival", "reviv"),
            ("allowance", "allow"),
            ("inference", "infer"),
            ("airliner", "airlin"),
            ("adjustment", "adjust"),
            ("dependent", "depend"),
            ("adoption", "adopt"),
            ("communion", "communion"),
            ("generous", "generous"),
            ("generation", "generat"),
            ("arsenal", "arsenal"),
            ("controll", "control"),
            ("rate", "rate"),
            ("skies", "sky"),
            ("news", "news"),
            ("only", "onli"),
            ("inning", "inning"),
            ("innings", "inning"),
            ("succeeding", "succeed"),
            ("exceeds", "exceed"),
            ("tariffs", "tariff"),
            ("1980s", "1980s"),
            ("u.s.", "u.s."),
            ("yy", "yy"),
            ("yyy", "yyy"),
            ("ay", "ay"),
            ("aYy", "aYi"),
            ("bayYs", "bayi"),
        ];
        for (word, want) in table {
            assert_eq!(reference(word), want, "reference on {word:?}");
            assert_eq!(fast(word), want, "fast path on {word:?}");
        }
    }

    /// Every string of up to four bytes over the letters the rules test (vowels, y and Y,
    /// the letters of the endings, an apostrophe, a digit).
    #[test]
    fn every_short_string_matches_the_reference() {
        let alphabet = b"aeiouyYsdlbtcgn'1";
        let mut words: Vec<Vec<u8>> = vec![Vec::new()];
        let mut all = 0;
        for _ in 0..4 {
            words = words
                .iter()
                .flat_map(|w| {
                    alphabet.iter().map(move |&c| {
                        let mut w = w.clone();
                        w.push(c);
                        w
                    })
                })
                .collect();
            for w in &words {
                let w = std::str::from_utf8(w).unwrap();
                assert_eq!(fast(w), reference(w), "on {w:?}");
                all += 1;
            }
        }
        assert_eq!(all, 17 + 17 * 17 + 17 * 17 * 17 + 17 * 17 * 17 * 17);
    }

    /// Words built from the endings the rules look for, stacked on short stems (with y, Y,
    /// apostrophes and doubled letters where the quirks live).
    fn built_word() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let endings: Vec<&'static str> = STEP2
            .iter()
            .chain(STEP3)
            .chain(STEP4)
            .map(|(s, ..)| std::str::from_utf8(s).unwrap())
            .chain([
                "s", "es", "ies", "ied", "sses", "ss", "us", "'s", "'s'", "'", "ed", "eed", "ing",
                "edly", "eedly", "ingly", "ly", "y", "Y", "e", "l", "ll", "at", "bl", "iz", "bb",
                "tt", "gener", "commun", "arsen", "ogi", "li", "ion", "sion", "tion",
            ])
            .collect();
        let piece = prop_oneof![
            "[a-z]{1,3}",
            "[aeiouyYbcdlst']{1,2}",
            proptest::sample::select(endings).prop_map(str::to_string),
        ];
        proptest::collection::vec(piece, 1..6).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        #[test]
        fn built_words_match_the_reference(w in built_word()) {
            proptest::prop_assume!(w.len() <= MAX);
            proptest::prop_assert_eq!(fast(&w), reference(&w), "on {:?}", w);
        }
    }

    #[test]
    fn other_words_take_the_reference() {
        let s = WordStemmer::new(Algorithm::English);
        for w in ["naïvely", "résumés", "ﬁnancial", &"a".repeat(MAX + 1)] {
            assert!(english_ascii(w.as_bytes()).is_none(), "on {w:?}");
            assert_eq!(&*s.stem(w), reference(w), "on {w:?}");
        }
        let german = WordStemmer::new(Algorithm::German);
        assert_eq!(
            &*german.stem("aufeinanderfolgenden"),
            Stemmer::create(Algorithm::German).stem("aufeinanderfolgenden")
        );
    }

    #[test]
    fn english_ascii_words_take_the_fast_path() {
        let s = WordStemmer::new(Algorithm::English);
        assert!(matches!(s.stem("tariffs"), Stem::Ascii(..)));
        assert_eq!(&*s.stem("tariffs"), "tariff");
        assert!(matches!(s.stem("zölle"), Stem::Snowball(..)));
        let g = WordStemmer::new(Algorithm::German);
        assert!(matches!(g.stem("tariffs"), Stem::Snowball(..)));
    }
}
