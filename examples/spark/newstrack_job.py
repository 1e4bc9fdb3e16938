"""Run newstrack over a JSON Lines corpus on Apache Spark.

newstrack plugs into Spark as its map and reduce stages; Spark only moves lines:

    lines   = textFile(corpus)                      one article record per line
            .zipWithIndex()                         its line number in the file
            .map("LINE<TAB>RECORD")
    partials = lines.pipe("newstrack map --numbered --source NAME", checkCode=True)
    merged  = partials.coalesce(1).pipe("newstrack merge --partial", checkCode=True)
    driver:  newstrack merge --out DIR  < merged    the report files `newstrack run` writes

The report equals `newstrack run NAME` over the same file byte for byte (line numbers travel
with the records, so ids, duplicates and problem lines are reported as `run` reports them).
A map or merge task that exits non-zero fails the job (checkCode=True): a lost partition
never passes silently.

Usage (see README.md beside this file):
    spark-submit newstrack_job.py --newstrack PATH --pipeline FILE --out DIR CORPUS.jsonl
"""

import argparse
import os
import shlex
import subprocess
import sys

from pyspark import SparkFiles
from pyspark.sql import SparkSession


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("corpus", help="JSON Lines corpus (any path Spark reads: local, HDFS, S3...)")
    p.add_argument("--newstrack", required=True,
                   help="the newstrack binary on the driver; shipped to the executors")
    p.add_argument("--pipeline", required=True,
                   help="pipeline file on the driver; shipped to the executors")
    p.add_argument("--out", required=True, help="report folder, written on the driver")
    p.add_argument("--source",
                   help="name the records are reported under [default: CORPUS as given], "
                        "i.e. the path `newstrack run` would be given")
    p.add_argument("--partitions", type=int, default=None,
                   help="minimum number of input partitions [default: Spark's]")
    p.add_argument("--period", choices=["day", "week", "month"],
                   help="reporting period [default: the pipeline's]")
    p.add_argument("--executor-pipeline",
                   help="pipeline path as executors see it (e.g. on a shared file system) "
                        "instead of the shipped copy")
    p.add_argument("--save-partials",
                   help="also save the per-partition partials there (saveAsTextFile), "
                        "to merge again later without re-tagging")
    return p.parse_args(argv)


def on_executors(sc, local_path):
    """Ships a driver file to every executor and returns the path tasks run it by.

    Executors fetch shipped files into their working directory, where piped commands
    start; in local mode the tasks run in the driver's JVM, which keeps them in its
    SparkFiles directory.
    """
    sc.addFile(os.path.abspath(local_path))
    name = os.path.basename(local_path)
    if sc.master.startswith("local"):
        return SparkFiles.get(name)
    return "./" + name


def main(argv):
    args = parse_args(argv)
    source = args.source or args.corpus
    spark = SparkSession.builder.appName("newstrack " + source).getOrCreate()
    sc = spark.sparkContext
    status = 1
    try:
        exe = on_executors(sc, args.newstrack)
        pipeline = args.executor_pipeline or on_executors(sc, args.pipeline)
        common = ["--pipeline", pipeline]
        map_cmd = [exe, "map", "--numbered", "--quiet", "--threads", "1",
                   "--source", source] + common
        merge_cmd = [exe, "merge", "--partial"] + common

        lines = sc.textFile(args.corpus, minPartitions=args.partitions)
        # Line numbers as in the file: ids of records without one, duplicates (the first copy
        # counts) and rejected lines are then what `newstrack run` reports.
        numbered = lines.zipWithIndex().map(lambda t: "%d\t%s" % (t[1] + 1, t[0]))
        partials = numbered.pipe(shlex.join(map_cmd), checkCode=True)
        if args.save_partials:
            partials.cache()
            partials.saveAsTextFile(args.save_partials)
        merged = partials.coalesce(1).pipe(shlex.join(merge_cmd), checkCode=True).collect()
        if len(merged) != 1:
            print("newstrack job: FAILED: merge returned %d partials, expected 1" % len(merged),
                  file=sys.stderr)
            return 1

        report = [args.newstrack, "merge", "--pipeline", args.pipeline, "--out", args.out]
        if args.period:
            report += ["--period", args.period]
        done = subprocess.run(report, input=merged[0] + "\n", text=True)
        if done.returncode != 0:
            print("newstrack job: FAILED: the final merge exited with %d" % done.returncode,
                  file=sys.stderr)
            return 1
        print("newstrack job: report written to %s" % args.out, file=sys.stderr)
        status = 0
    except Exception as e:  # a failed task surfaces here as a Py4J error
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print("newstrack job: FAILED: a Spark stage failed: %s" % first, file=sys.stderr)
        status = 1
    finally:
        spark.stop()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
