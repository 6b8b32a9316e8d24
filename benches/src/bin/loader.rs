//! One load as a whole process: `loader SYSTEM N [scan]`, for the
//! process-loader benchmark. `loader none N` only starts and exits, the
//! floor every process pays.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [system, n, rest @ ..] = args.as_slice() else {
        eprintln!(
            "usage: loader SYSTEM N [scan]   (SYSTEM: none or {:?})",
            recstore_bench::SYSTEMS
        );
        std::process::exit(2);
    };
    if system == "none" {
        return;
    }
    let files = recstore_bench::Files::at(&recstore_bench::data_dir(), n.parse().unwrap());
    let scan = rest.first().is_some_and(|a| a == "scan");
    println!("{}", recstore_bench::load(system, &files, scan));
}
