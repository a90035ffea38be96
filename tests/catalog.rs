//! The list of cases: one per C program under `programs/`, the busybox applet cases, and
//! the sandbox-escape checks.
//!
//! A C program may carry directives in comments, one per line:
//! - `// rvt: status=N`: the exit status its native run must have (default 0);
//! - `// rvt: hostpath`: it gets a unique host path as `argv[1]`, which the native run must
//!   create and the sandboxed run must not leave on the host;
//! - `// rvt: ignore=REASON`: ignored by default (for behaviour the sandbox cannot have yet);
//! - `// rvt: each-arg=A B C`: one case per word, `prog::NAME::A` run as `NAME A`, and so on
//!   (for programs that can test only one thing per run, e.g. a successful exec). The cases
//!   run in parallel, so each names its temporary directories `/tmp/rvt-NAME-A-…`.

use std::fs;
use std::path::PathBuf;

use crate::case::{Case, Program, Stderr};
use crate::compile::program_names;
use crate::config::Config;
use crate::fixtures::{self, LINES};

/// Every case, C programs first.
pub fn all_cases(cfg: &Config) -> Result<Vec<Case>, String> {
    let mut cases = program_cases(cfg)?;
    cases.extend(busybox_cases(cfg));
    cases.extend(crate::hostcmds::host_cases(cfg));
    Ok(cases)
}

/// One case per `programs/NAME.c`, named `prog::NAME` (`escape::NAME` with `rvt: hostpath`).
pub fn program_cases(cfg: &Config) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for name in program_names(&cfg.programs_dir)? {
        let source = cfg.programs_dir.join(format!("{name}.c"));
        let text = fs::read_to_string(&source)
            .map_err(|e| format!("reading {}: {e}", source.display()))?;
        let mut case = Case::new(format!("prog::{name}"), Program::C(name.clone()), &[]);
        case.tmp_prefix = Some(format!("rvt-{name}-"));
        let mut each_arg: Option<Vec<String>> = None;
        for directive in text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("// rvt:"))
        {
            let directive = directive.trim();
            if let Some(status) = directive.strip_prefix("status=") {
                let status = status
                    .parse()
                    .map_err(|_| format!("{}: bad directive `{directive}`", source.display()))?;
                case.expect_status = Some(status);
            } else if directive == "hostpath" {
                let path = host_path(&name);
                case.name = format!("escape::{name}");
                case.args = vec![path.display().to_string()];
                case.host_path = Some(path);
                // The host path itself starts like the program's temporary directories.
                case.tmp_prefix = None;
            } else if let Some(reason) = directive.strip_prefix("ignore=") {
                case.ignore_reason = Some(leak(reason.trim().to_string()));
            } else if let Some(words) = directive.strip_prefix("each-arg=") {
                each_arg = Some(words.split_whitespace().map(str::to_string).collect());
            } else {
                return Err(format!(
                    "{}: unknown directive `{directive}`",
                    source.display()
                ));
            }
        }
        match each_arg {
            Some(words) => cases.extend(words.into_iter().map(|word| {
                let mut one = case.clone();
                one.name = format!("{}::{word}", case.name);
                one.tmp_prefix = case.tmp_prefix.as_ref().map(|p| format!("{p}{word}-"));
                one.args.push(word);
                one
            })),
            None => cases.push(case),
        }
    }
    Ok(cases)
}

/// A host path unique to this harness process and tag.
fn host_path(tag: &str) -> PathBuf {
    PathBuf::from(format!("/tmp/rvt-escape-{tag}-{}", std::process::id()))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// `dd` prints its statistics on stderr; keep the record counts and byte count, drop timing.
fn dd_stats(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| match l.find(" copied") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The busybox applet cases, named `busybox::APPLET-what`.
pub fn busybox_cases(cfg: &Config) -> Vec<Case> {
    let tree = fixtures::tree(cfg).display().to_string();
    let file = |name: &str| format!("{tree}/{name}");
    let bb = |name: &str, args: &[&str]| {
        let mut case = Case::new(
            format!("busybox::{name}"),
            Program::Host(cfg.busybox.clone()),
            args,
        );
        case.setup = Some(fixtures::ensure_tree);
        case
    };
    let with_stdin = |mut case: Case, input: &str| {
        case.stdin = Some(input.as_bytes().to_vec());
        case
    };
    let status = |mut case: Case, want: i32| {
        case.expect_status = Some(want);
        case
    };
    let alpha = file("alpha.txt");
    let big = file("big.bin");
    let mut cases = vec![
        status(bb("false", &["false"]), 1),
        bb("echo-args", &["echo", "hello", "  spaced  ", "world"]),
        bb("echo-n", &["echo", "-n", "no newline"]),
        bb("echo-e", &["echo", "-e", "tab\\there\\nnew line\\x41"]),
        bb(
            "printf",
            &["printf", "%s-%05d-%x-%c\\n", "word", "42", "255", "z"],
        ),
        bb("cat-file", &["cat", &alpha]),
        status(bb("cat-missing", &["cat", "/nonexistent-rvt/file"]), 1),
        with_stdin(bb("cat-stdin", &["cat"]), LINES),
        bb(
            "cat-several",
            &["cat", &alpha, "/dev/null", &file("sub/nested.txt"), &alpha],
        ),
        bb("ls-la-tree", &["ls", "-la", &tree]),
        bb("ls-lan-sub", &["ls", "-lan", &file("sub")]),
        bb("ls-1-tree", &["ls", "-1", &tree]),
        bb("ls-l-busybox", &["ls", "-l", "/bin/busybox"]),
        status(bb("ls-missing", &["ls", "/nonexistent-rvt"]), 1),
        with_stdin(bb("wc-stdin", &["wc"]), LINES),
        bb("wc-l-file", &["wc", "-l", &alpha]),
        bb("wc-c-busybox", &["wc", "-c", "/bin/busybox"]),
        with_stdin(bb("sort", &["sort"]), LINES),
        with_stdin(bb("sort-r", &["sort", "-r"]), LINES),
        with_stdin(bb("sort-n", &["sort", "-n"]), LINES),
        with_stdin(bb("sort-u", &["sort", "-u"]), LINES),
        bb("md5sum-busybox", &["md5sum", "/bin/busybox"]),
        bb("sha256sum-busybox", &["sha256sum", "/bin/busybox"]),
        bb("md5sum-fixture", &["md5sum", &big, &alpha]),
        with_stdin(bb("head-n3-stdin", &["head", "-n", "3"]), LINES),
        bb("head-c-busybox", &["head", "-c", "5000", "/bin/busybox"]),
        bb("tail-n2-file", &["tail", "-n", "2", &alpha]),
        with_stdin(bb("tr-upper", &["tr", "a-z", "A-Z"]), LINES),
        with_stdin(bb("tr-delete", &["tr", "-d", "aeiou"]), LINES),
        bb("seq-10", &["seq", "10"]),
        bb("seq-step", &["seq", "1", "3", "100"]),
        bb("seq-sep", &["seq", "-s", ",", "5"]),
        bb(
            "stat-files",
            &[
                "stat",
                "-c",
                "%n %s %F %a %h %U %G",
                &alpha,
                &file("empty"),
                &file("run.sh"),
                &file("sub"),
            ],
        ),
        bb(
            "stat-symlink",
            &[
                "stat",
                "-c",
                "%n %s %F %N",
                &file("alpha.link"),
                &file("dangling"),
            ],
        ),
        bb(
            "stat-follow",
            &["stat", "-L", "-c", "%n %s %F", &file("alpha.link")],
        ),
        bb(
            "stat-dev-null",
            &[
                "stat",
                "-c",
                "%n %F %a %t %T",
                "/dev/null",
                "/dev/zero",
                "/dev/full",
            ],
        ),
        status(bb("stat-missing", &["stat", "/nonexistent-rvt"]), 1),
        bb(
            "od-busybox",
            &["od", "-A", "x", "-t", "x1", "-N", "64", "/bin/busybox"],
        ),
        status(
            bb("cmp-differ", &["cmp", &alpha, &file("sub/nested.txt")]),
            1,
        ),
        bb("basename", &["basename", "/a/b/c.txt", ".txt"]),
        bb("dirname", &["dirname", "/a/b/c.txt"]),
        bb("expr", &["expr", "6", "*", "7"]),
        bb("uname-sm", &["uname", "-s", "-m"]),
        status(bb("test-missing", &["test", "-e", "/nonexistent-rvt"]), 1),
        bb("readlink", &["readlink", &file("alpha.link")]),
        bb("realpath", &["realpath", &file("sub/../alpha.link")]),
        bb("pwd", &["pwd"]),
        status(bb("mkdir-exists", &["mkdir", "/tmp"]), 1),
        status(bb("mkdir-no-parent", &["mkdir", "/nonexistent-rvt/x"]), 1),
    ];
    let mut dd_null = bb(
        "dd-zero-null",
        &["dd", "if=/dev/zero", "of=/dev/null", "bs=4096", "count=100"],
    );
    dd_null.stderr = Stderr::Compare(dd_stats);
    cases.push(dd_null);
    let mut dd_out = bb(
        "dd-skip-stdout",
        &["dd", "if=/bin/busybox", "bs=1000", "count=3", "skip=2"],
    );
    dd_out.stderr = Stderr::Compare(dd_stats);
    cases.push(dd_out);

    // Writes must stay inside the sandbox: the native run creates the tree (-v prints each
    // directory made), the sandboxed one must leave the host untouched. Each `runsc do` is a
    // fresh sandbox, so a second command cannot look at the tree; that needs a shell, hence
    // fork: see the ignored sh cases below.
    let target = host_path("busybox-mkdir-p");
    let deep = target.join("y/z").display().to_string();
    let mut mkdir_p = bb("mkdir-p", &["mkdir", "-pv", &deep]);
    mkdir_p.name = "escape::busybox-mkdir-p".to_string();
    mkdir_p.host_path = Some(target);
    cases.push(mkdir_p);

    // Shell pipelines: fork, exec, pipes and wait in the sandbox.
    for (name, script) in [
        ("sh-mkdir-ls-rm", "d=/tmp/rvt-sh-$$; mkdir -p $d/a/b/c && touch $d/a/f && ls -R $d | sed s,$d,D, && rm -r $d && test ! -e $d && echo removed"),
        ("sh-pipe-wc", "seq 1000 | wc -l"),
        ("sh-dd-pipe-md5", "dd if=/dev/zero bs=4096 count=100 2>/dev/null | md5sum"),
        ("sh-exit-status", "false; echo $?; (exit 7); echo $?"),
    ] {
        let mut case = bb(name, &["sh", "-c", script]);
        if script.contains("rvt-sh-") {
            case.tmp_prefix = Some("rvt-sh-".to_string());
        }
        cases.push(case);
    }
    cases
}
