//! Input discovery: which files newstrack reads from the paths the user gave.
//!
//! Owns: walking each root recursively (following symbolic links; a loop is a failure, not a
//! hang), the skip rules (hidden names — a leading `.` — below a root, unsupported
//! extensions, the pipeline's `include`/`exclude` globs), the user-facing `display` path (root as given joined with the relative path,
//! `/`-separated), de-duplication (one file named twice, through two roots or a link, is read
//! once: the first naming wins) and the sorted order of files.
//!
//! Must not touch: file contents. It only looks at names and metadata; reading and parsing
//! belong to the format parsers. A root that names a file is taken as is, even when hidden;
//! only an unsupported extension skips it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use super::Format;

/// The extensions named in skip reasons (the aliases `.text`, `.markdown`, `.ndjson`, `.sgml`
/// are read too).
pub const SUPPORTED: &str = ".txt .md .json .jsonl .html .htm .sgm";

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    /// The path as shown to the user and recorded in articles.
    pub display: String,
}

/// A path that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The result of walking the roots: files to read, paths deliberately skipped, and paths
/// that could not be examined (missing roots, unreadable entries, symlink loops).
#[derive(Debug, Default)]
pub struct Collected {
    pub files: Vec<InputFile>,
    pub skipped: Vec<Skipped>,
    pub failed: Vec<Skipped>,
}

/// Which files found under a root are read: the pipeline's `include` and `exclude` globs. A
/// glob without `/` matches a file name in any folder (`*.tmp.json`); one with `/` matches
/// the path relative to the root (`drafts/**`, `**/2019/*.txt`). Files named as roots are
/// always read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Option<(GlobSet, GlobSet)>,
    exclude: (GlobSet, GlobSet),
    include_src: Vec<String>,
    exclude_src: (Vec<String>, Vec<String>),
}

/// Compiles one glob as the filter does (`*` does not cross `/`).
pub fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

impl Filter {
    /// Builds a filter; the error names the first bad glob by its index in `include`
    /// followed by `exclude`.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter, (usize, globset::Error)> {
        let split = |pats: &[String], base: usize| {
            let (mut names, mut paths) = (GlobSetBuilder::new(), GlobSetBuilder::new());
            let (mut name_src, mut path_src) = (Vec::new(), Vec::new());
            for (i, p) in pats.iter().enumerate() {
                let g = glob(p).map_err(|e| (base + i, e))?;
                if p.contains('/') {
                    paths.add(g);
                    path_src.push(p.clone());
                } else {
                    names.add(g);
                    name_src.push(p.clone());
                }
            }
            let build = |b: GlobSetBuilder| b.build().map_err(|e| (base, e));
            Ok(((build(names)?, build(paths)?), (name_src, path_src)))
        };
        let (inc, _) = split(include, 0)?;
        let (exc, exc_src) = split(exclude, include.len())?;
        Ok(Filter {
            include: (!include.is_empty()).then_some(inc),
            exclude: exc,
            include_src: include.to_vec(),
            exclude_src: exc_src,
        })
    }

    /// Why a file at `rel` (relative to its root, `/`-separated) is not read, if it is not.
    fn skip_reason(&self, rel: &str) -> Option<String> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let (names, paths) = &self.exclude;
        // Most pipelines have no globs: an empty set still prepares its candidate (about
        // 300 instructions a file, a hundred thousand files a folder).
        if names.is_empty() && paths.is_empty() && self.include.is_none() {
            return None;
        }
        if let Some(i) = names.matches(name).first() {
            return Some(format!(
                "excluded by the pipeline's exclude glob \"{}\"",
                self.exclude_src.0[*i]
            ));
        }
        if let Some(i) = paths.matches(rel).first() {
            return Some(format!(
                "excluded by the pipeline's exclude glob \"{}\"",
                self.exclude_src.1[*i]
            ));
        }
        match &self.include {
            Some((n, p)) if !n.is_match(name) && !p.is_match(rel) => Some(format!(
                "not matched by the pipeline's include globs ({})",
                self.include_src.join(", ")
            )),
            _ => None,
        }
    }
}

/// Walks `roots` and sorts what it finds into files, skipped and failed paths.
pub fn collect(roots: &[PathBuf]) -> Collected {
    collect_filtered(roots, &Filter::default())
}

/// [`collect`] with the pipeline's include and exclude globs.
pub fn collect_filtered(roots: &[PathBuf], filter: &Filter) -> Collected {
    let mut out = Collected::default();
    // A file can be named twice only through a second root or a followed symbolic link;
    // without either, nothing needs telling apart (and each file costs no `stat`).
    let mut linked = roots.len() > 1;
    for root in roots {
        let root_display = display_of(root, Path::new(""));
        match std::fs::metadata(root) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => out.failed.push(Skipped {
                path: root_display,
                reason: "no such file or directory".into(),
            }),
            Err(e) => out.failed.push(Skipped {
                path: root_display,
                reason: e.to_string(),
            }),
            Ok(m) if m.is_dir() => walk_dir(root, filter, &mut out, &mut linked),
            Ok(m) if m.is_file() => consider_file(root.clone(), root_display, &mut out),
            Ok(_) => out.skipped.push(Skipped {
                path: root_display,
                reason: "not a regular file or directory".into(),
            }),
        }
    }
    if linked {
        // In walk order: the first naming wins.
        let mut seen = HashSet::new();
        out.files.retain(|f| {
            seen.insert(std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()))
        });
    }
    out.files.sort_by(|a, b| a.display.cmp(&b.display));
    for list in [&mut out.skipped, &mut out.failed] {
        list.sort_by(|a, b| a.path.cmp(&b.path));
        list.dedup();
    }
    out
}

/// Walks one root; sets `linked` when it follows a symbolic link.
fn walk_dir(root: &Path, filter: &Filter, out: &mut Collected, linked: &mut bool) {
    let root_display = display_of(root, Path::new(""));
    // The path below the root of each folder being walked, by depth: an entry's is its
    // folder's and its name, what `display_under` makes of its full path by taking the root
    // off component by component (a third of the walk's samples on a folder of 100,000 files).
    let mut folders: Vec<String> = vec![String::new()];
    // Siblings in name order. Their paths are their folder's path and their names, so
    // comparing whole paths orders them as comparing names does; `sort_by_file_name` parses
    // each name back out of the path in every comparison (most of the walk's sorting, on a
    // folder of a thousand files).
    let mut it = WalkDir::new(root)
        .follow_links(true)
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .into_iter();
    while let Some(next) = it.next() {
        let entry = match next {
            Ok(e) => e,
            Err(err) => {
                let path = err.path().map_or_else(
                    || display_of(root, Path::new("")),
                    |p| display_under(root, p),
                );
                let reason = match (err.loop_ancestor(), err.io_error()) {
                    (Some(anc), _) => {
                        format!("symlink loop (leads back to {})", display_under(root, anc))
                    }
                    (None, Some(io)) => io.to_string(),
                    (None, None) => err.to_string(),
                };
                out.failed.push(Skipped { path, reason });
                continue;
            }
        };
        let depth = entry.depth();
        if depth == 0 {
            continue;
        }
        *linked |= entry.path_is_symlink();
        let name = entry.file_name().to_string_lossy();
        folders.truncate(depth);
        let rel = match folders.last() {
            Some(parent) if !parent.is_empty() => {
                let mut rel = String::with_capacity(parent.len() + 1 + name.len());
                rel.push_str(parent);
                rel.push('/');
                rel.push_str(&name);
                rel
            }
            _ => name.to_string(),
        };
        let display = join_display(&root_display, &rel);
        let hidden = name.starts_with('.');
        let kind = entry.file_type();
        if kind.is_dir() {
            if hidden {
                out.skipped.push(Skipped {
                    path: display,
                    reason: "hidden directory".into(),
                });
                it.skip_current_dir();
            } else {
                folders.push(rel);
            }
            continue;
        }
        if hidden {
            out.skipped.push(Skipped {
                path: display,
                reason: "hidden file".into(),
            });
        } else if kind.is_file() && is_folder_doc(&name) {
            out.skipped.push(Skipped {
                path: display,
                reason: "documentation file (README, LICENSE, CHANGELOG), not an article; name it as a PATH to read it".into(),
            });
        } else if kind.is_file() {
            match filter.skip_reason(&rel) {
                Some(reason) => out.skipped.push(Skipped {
                    path: display,
                    reason,
                }),
                None => {
                    drop(name);
                    consider_file(entry.into_path(), display, out)
                }
            }
        } else {
            out.skipped.push(Skipped {
                path: display,
                reason: "not a regular file".into(),
            });
        }
    }
}

/// Files that describe a folder rather than report news; data sets ship them beside the
/// articles (Reuters-21578 has a README.md).
fn is_folder_doc(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
    matches!(
        stem.as_str(),
        "README" | "LICENSE" | "LICENCE" | "CHANGELOG" | "COPYING"
    )
}

fn consider_file(path: PathBuf, display: String, out: &mut Collected) {
    if Format::from_path(&path).is_none() {
        let reason = match path.extension() {
            Some(ext) => format!(
                "unsupported extension '.{}' (newstrack reads {SUPPORTED})",
                ext.to_string_lossy()
            ),
            None => format!("no file extension (newstrack reads {SUPPORTED})"),
        };
        out.skipped.push(Skipped {
            path: display,
            reason,
        });
        return;
    }
    out.files.push(InputFile { path, display });
}

/// `root` as the user wrote it, joined with `rel`, `/`-separated.
fn display_of(root: &Path, rel: &Path) -> String {
    let mut s = root.to_string_lossy().into_owned();
    if std::path::MAIN_SEPARATOR != '/' {
        s = s.replace(std::path::MAIN_SEPARATOR, "/");
    }
    while s.len() > 1 && s.ends_with('/') {
        s.pop();
    }
    for part in rel.components() {
        if !s.ends_with('/') {
            s.push('/');
        }
        s.push_str(&part.as_os_str().to_string_lossy());
    }
    s
}

/// A root's display (`display_of(root, "")`) joined with a path below it, `/`-separated.
fn join_display(root_display: &str, rel: &str) -> String {
    let mut s = String::with_capacity(root_display.len() + 1 + rel.len());
    s.push_str(root_display);
    if !s.ends_with('/') {
        s.push('/');
    }
    s.push_str(rel);
    s
}

fn display_under(root: &Path, path: &Path) -> String {
    display_of(root, path.strip_prefix(root).unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// The files of `tree()` that are read, in the order they come out.
    const READ: [&str; 7] = [
        "a.txt",
        "b.md",
        "e.html",
        "f.HTM",
        "g.sgm",
        "sub/c.json",
        "sub/d.jsonl",
    ];

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::Builder::new().prefix("walk").tempdir().unwrap();
        let d = dir.path();
        for f in [
            "b.md",
            "a.txt",
            "sub/c.json",
            "sub/d.jsonl",
            "e.html",
            "f.HTM",
            "g.sgm",
            "img.png",
            "noext",
            ".hidden.txt",
            ".git/config.txt",
            "sub/.cache/x.txt",
        ] {
            let p = d.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "x").unwrap();
        }
        dir
    }

    fn rel(root: &Path, shown: &str) -> String {
        let r = display_of(root, Path::new(""));
        shown
            .strip_prefix(&r)
            .unwrap_or(shown)
            .trim_start_matches('/')
            .to_string()
    }

    #[test]
    fn walks_sorts_and_skips() {
        let dir = tree();
        let root = dir.path().to_path_buf();
        let c = collect(&[root.clone(), root.join("a.txt"), root.join("missing")]);
        let files: Vec<_> = c.files.iter().map(|f| rel(&root, &f.display)).collect();
        assert_eq!(files, READ);
        let skipped: Vec<_> = c
            .skipped
            .iter()
            .map(|s| (rel(&root, &s.path), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (".git".to_string(), "hidden directory"),
                (".hidden.txt".to_string(), "hidden file"),
                (
                    "img.png".to_string(),
                    "unsupported extension '.png' (newstrack reads .txt .md .json .jsonl .html .htm .sgm)"
                ),
                ("noext".to_string(), "no file extension (newstrack reads .txt .md .json .jsonl .html .htm .sgm)"),
                ("sub/.cache".to_string(), "hidden directory"),
            ]
        );
        let failed: Vec<_> = c
            .failed
            .iter()
            .map(|s| (rel(&root, &s.path), s.reason.as_str()))
            .collect();
        assert_eq!(
            failed,
            [("missing".to_string(), "no such file or directory")]
        );
    }

    #[test]
    fn explicit_file_roots() {
        let dir = tree();
        let root = dir.path();
        let c = collect(&[
            root.join(".hidden.txt"),
            root.join("img.png"),
            root.join("sub/c.json"),
        ]);
        let files: Vec<_> = c.files.iter().map(|f| rel(root, &f.display)).collect();
        assert_eq!(files, [".hidden.txt", "sub/c.json"]);
        assert_eq!(c.skipped.len(), 1);
        assert!(c.skipped[0]
            .reason
            .starts_with("unsupported extension '.png'"));
    }

    #[test]
    fn display_joins_root_as_given() {
        let cases = [
            ("corpus", "a/b.txt", "corpus/a/b.txt"),
            ("corpus/", "b.txt", "corpus/b.txt"),
            ("./corpus//", "b.txt", "./corpus/b.txt"),
            (".", "b.txt", "./b.txt"),
            ("/", "b.txt", "/b.txt"),
            ("file.txt", "", "file.txt"),
        ];
        for (root, rel, want) in cases {
            assert_eq!(display_of(Path::new(root), Path::new(rel)), want);
        }
    }

    #[test]
    fn displays_are_the_root_as_given_and_the_path_below_it() {
        // Folders entered and left at several depths, so each entry's folder is the right
        // one; the display of every file is what taking the root off its full path gives.
        let dir = tempfile::Builder::new().prefix("walk").tempdir().unwrap();
        let d = dir.path();
        let names = [
            "a/b/c/d.txt",
            "a/b/c/e.txt",
            "a/b/f.txt",
            "a/g.txt",
            "a/h/i.txt",
            "j.txt",
            "k/l.txt",
        ];
        for f in names {
            let p = d.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "x").unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let odd = std::ffi::OsStr::from_bytes(b"a/b/odd\xff.txt");
            fs::write(d.join(odd), "x").unwrap();
        }
        let shown = d.display().to_string();
        let roots = [
            shown.clone(),
            format!("{shown}/"),
            format!("{shown}//"),
            format!("{shown}/./"),
            format!("{shown}/a/.."),
        ];
        for root in roots {
            let root = PathBuf::from(root);
            let c = collect(std::slice::from_ref(&root));
            let want: Vec<String> = c
                .files
                .iter()
                .map(|f| display_under(&root, &f.path))
                .collect();
            let got: Vec<&str> = c.files.iter().map(|f| f.display.as_str()).collect();
            assert_eq!(got, want, "root {root:?}");
            assert_eq!(got.len(), names.len() + usize::from(cfg!(unix)), "{got:?}");
            let deep = display_of(&root, Path::new("a/b/c/d.txt"));
            assert!(got.contains(&deep.as_str()), "{deep} in {got:?}");
        }
    }

    #[test]
    fn include_and_exclude_globs() {
        let dir = tree();
        let root = dir.path().to_path_buf();
        // (include, exclude, files read, skipped with a reason containing)
        type Case<'a> = (
            &'a [&'a str],
            &'a [&'a str],
            &'a [&'a str],
            &'a [(&'a str, &'a str)],
        );
        let cases: &[Case] = &[
            (
                &[],
                &["*.md"],
                &[
                    "a.txt",
                    "e.html",
                    "f.HTM",
                    "g.sgm",
                    "sub/c.json",
                    "sub/d.jsonl",
                ],
                &[("b.md", "exclude glob \"*.md\"")],
            ),
            (
                &[],
                &["sub/**"],
                &["a.txt", "b.md", "e.html", "f.HTM", "g.sgm"],
                &[("sub/c.json", "\"sub/**\""), ("sub/d.jsonl", "\"sub/**\"")],
            ),
            (
                &["*.json*"],
                &[],
                &["sub/c.json", "sub/d.jsonl"],
                &[("a.txt", "include globs (*.json*)")],
            ),
            (
                &["sub/*"],
                &["*.jsonl"],
                &["sub/c.json"],
                &[("sub/d.jsonl", "exclude glob"), ("b.md", "include globs")],
            ),
            // `*` does not cross folders: "*/c.json" is one level deep only.
            (&["*/c.json", "a.txt"], &[], &["a.txt", "sub/c.json"], &[]),
        ];
        for (inc, exc, want, why) in cases {
            let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            let f = Filter::new(&s(inc), &s(exc)).unwrap();
            let c = collect_filtered(std::slice::from_ref(&root), &f);
            let files: Vec<_> = c.files.iter().map(|f| rel(&root, &f.display)).collect();
            assert_eq!(files, *want, "{inc:?} {exc:?}");
            for (path, reason) in *why {
                assert!(
                    c.skipped
                        .iter()
                        .any(|s| rel(&root, &s.path) == *path && s.reason.contains(reason)),
                    "{inc:?} {exc:?}: {path} {reason}: {:?}",
                    c.skipped
                );
            }
        }
        // A file named as a root is read whatever the globs say.
        let f = Filter::new(&[], &["*.txt".to_string()]).unwrap();
        let c = collect_filtered(&[root.join("a.txt")], &f);
        assert_eq!(c.files.len(), 1);
        assert!(Filter::new(&["a[".to_string()], &[]).is_err());
        assert_eq!(
            Filter::new(&[], &["ok".to_string(), "{a".to_string()])
                .unwrap_err()
                .0,
            1
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_loops_and_duplicates() {
        let dir = tree();
        let root = dir.path().to_path_buf();
        std::os::unix::fs::symlink(&root, root.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("a.txt"), root.join("z-link.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("gone.txt"), root.join("broken.txt")).unwrap();
        // A folder outside the root, linked in twice.
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("x.txt"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("l1")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("l2")).unwrap();
        // z-link.txt is a.txt again, l2/x.txt is l1/x.txt: each read once, whether the
        // root is named once or twice.
        let mut want: Vec<&str> = READ.iter().copied().chain(["l1/x.txt"]).collect();
        want.sort();
        for roots in [vec![root.clone()], vec![root.clone(), root.clone()]] {
            let c = collect(&roots);
            let files: Vec<_> = c.files.iter().map(|f| rel(&root, &f.display)).collect();
            assert_eq!(files, want, "{} roots", roots.len());
        }
        let c = collect(&[root.clone(), root.clone()]);
        let failed: Vec<_> = c
            .failed
            .iter()
            .map(|s| (rel(&root, &s.path), s.reason.clone()))
            .collect();
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert_eq!(failed[0].0, "broken.txt");
        assert!(failed[0].1.contains("No such file"), "{failed:?}");
        assert_eq!(failed[1].0, "sub/loop");
        assert!(failed[1].1.starts_with("symlink loop"), "{failed:?}");
    }
}
