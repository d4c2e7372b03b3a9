"""``--engine spark``: the models' SQL on Spark SQL.

The canonical relations are built as for DuckDB (DuckDB reading CSV/Parquet itself, or Python
reading any other source, with the same checks and fall-back), written to Parquet, and read by
Spark as temporary views; each model's query (the ``spark`` dialect of :mod:`scoredsl.compiler.sql.generator`)
then runs on Spark and its rows stream back in contact order.

Where Spark runs comes from ``[spark]`` in ``scoredsl.toml``: ``master`` (default
``local[N]``) or ``remote`` (a Spark Connect URL), and ``conf``. With a cluster, the Parquet
folder must be reachable by the executors: set ``conf = { "spark.scoredsl.stage" = "PATH" }`` to
a shared location (it defaults to a local temporary folder, right for ``local`` mode).

Exactness: Java's ``Math.pow`` may differ from the C library's in the last bit, so the decay
factor ``0.5 ** x`` runs as a Python function (a UDF) there, giving the same bits as the Python
engine.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from typing import Any, Sequence

from sqlglot import exp

from scoredsl.check.ir import state_reads
from scoredsl.compiler.model import CompiledModel
from scoredsl.compiler.sql.generator import compile_model, state_layout
from scoredsl.data.canonical import CONTACTS, event_table
from scoredsl.engines.base import RunOptions, sql_refusal
from scoredsl.engines.duckdb import fill, load_state, result_rows
from scoredsl.engines.results import ErrorPolicy, Output, Previous

__all__ = ["SparkEngine", "spark_session"]

HALF_POW = "scoredsl_half_pow"
_LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss64m",
    "spark.driver.memory": "6g",
}


#: Spark's own logging from the JVM's start, on stderr: warnings, but not the one about Hadoop's
#: native library that every local start gives. (With the level Spark sets for PySpark, warn, it
#: prints no "Setting default log level" either.) Once started, the level is error. Java code that
#: Spark generates for a wide model can be too large to compile: Spark then evaluates the plan
#: without it (the same results) after logging the compiler's error and its stack: not shown.
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
logger.hadoop.name = org.apache.hadoop.util.NativeCodeLoader
logger.hadoop.level = error
logger.codegen.name = org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator
logger.codegen.level = fatal
logger.stage.name = org.apache.spark.sql.execution.WholeStageCodegenExec
logger.stage.level = error
"""

#: What the JVM itself prints at start on stderr, before any logging: passed over.
_JVM_NOISE = ("WARNING: Using incubator modules:",)


def _log_config() -> str:
    """A log4j2 configuration file for the driver (written once per user, in the temporary folder)."""
    path = os.path.join(tempfile.gettempdir(), f"scoredsl-spark-log4j2-{os.getuid() if hasattr(os, 'getuid') else 0}"
                                               ".properties")
    try:
        with open(path, encoding="utf-8") as file:
            if file.read() == _LOG4J2:
                return path
    except OSError:
        pass
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".properties")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(_LOG4J2)
    os.replace(temp, path)
    return path


def _half_pow():
    """``0.5 ** x`` as a function Spark ships to its Python workers by value (so they need no
    scoredsl installed)."""
    return lambda x: None if x is None else 0.5 ** x


def spark_session(settings: dict[str, Any] | None = None, threads: int | None = None):
    from pyspark.sql import SparkSession

    settings = settings or {}
    # Python workers run this interpreter, unless the settings say otherwise
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("scoredsl")
    if settings.get("remote"):
        builder = builder.remote(settings["remote"])
    else:
        builder = builder.master(settings.get("master") or f"local[{threads or os.cpu_count() or 1}]")
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")    # as spark.driver.host says
        for key, value in _LOCAL_CONF.items():
            if key == "spark.driver.extraJavaOptions":
                value += f" -Dlog4j2.configurationFile=file:{_log_config()}"
            builder = builder.config(key, value)
    for key, value in (settings.get("conf") or {}).items():
        builder = builder.config(key, str(value))
    with _jvm_stderr_filtered():
        session = builder.getOrCreate()
    if not settings.get("remote"):
        session.sparkContext.setLogLevel("ERROR")
    return session


@contextlib.contextmanager
def _jvm_stderr_filtered():
    """A JVM started inside this block writes its stderr through a filter that drops the lines
    of :data:`_JVM_NOISE` and passes every other line on to this process's stderr."""
    try:
        saved = os.dup(2)
    except OSError:              # no stderr to filter
        yield
        return
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)

    def pump():
        with os.fdopen(read, "rb") as source, os.fdopen(os.dup(saved), "wb", buffering=0) as target:
            for line in source:
                if not line.decode("utf-8", "replace").startswith(_JVM_NOISE):
                    target.write(line)

    threading.Thread(target=pump, name="scoredsl-spark-stderr", daemon=True).start()
    try:
        yield
    finally:
        os.dup2(saved, 2)        # this process's stderr back; the JVM keeps writing into the filter
        os.close(saved)


def spark_query(model: CompiledModel, as_of: int, index: int = 0) -> str:
    """The model's Spark SQL (the ``index``-th of its run), with the decay factor computed by
    :data:`HALF_POW`."""
    query = compile_model(model.ir, model.program.schema, as_of, "spark", state_layout(model.ir, index)[0])

    def exact_pow(node):
        if isinstance(node, exp.Pow):
            return exp.Anonymous(this=HALF_POW, expressions=[node.expression])
        return node

    return query.transform(exact_pow).sql(dialect="spark")


class SparkEngine:
    """The models' SQL on Spark SQL; see the module docs."""

    name = "spark"

    def __init__(self, session=None):
        self.session = session      # a SparkSession to use instead of one made from the options

    def refusal(self, models: Sequence[CompiledModel], source) -> str | None:
        return sql_refusal(models, "spark")

    def score(self, models: Sequence[CompiledModel], source, as_of: int, options: RunOptions,
              out: Output, previous: Previous | None = None) -> None:
        import duckdb
        from pyspark.sql.types import DoubleType

        summary = out.summary
        schema = models[0].program.schema
        stage = (options.spark.get("conf") or {}).get("spark.scoredsl.stage")
        with tempfile.TemporaryDirectory(prefix="scoredsl-spark-", dir=stage) as folder:
            con = duckdb.connect(os.path.join(folder, "stage.duckdb"))
            try:
                fill(con, source, schema, ErrorPolicy(options.on_error, summary), summary, folder)
                load_state(con, models, previous or Previous(), folder)
                tables = [CONTACTS] + [event_table(i) for i in range(len(schema.events))]
                tables += [state_layout(m.ir, i)[0] for i, m in enumerate(models) if state_reads(m.ir)]
                for index, table in enumerate(tables):   # Spark skips files named _*
                    con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{os.path.join(folder, f't{index}.parquet')}' "
                                "(FORMAT PARQUET)")
            finally:
                con.close()
            spark = self.session or spark_session(options.spark, options.threads)
            spark.udf.register(HALF_POW, _half_pow(), DoubleType())
            for index, table in enumerate(tables):
                spark.read.parquet(os.path.join(folder, f"t{index}.parquet")).createOrReplaceTempView(table)
            frames = [spark.sql(spark_query(m, as_of, i)) for i, m in enumerate(models)]
            iterators = [(tuple(row) for row in frame.toLocalIterator()) for frame in frames]
            for row in result_rows(models, iterators):
                out.write(row)
