// Prints one plain closing line, "tests: N passed, N failed, N skipped", so CI logs state what ran.
// A suite that failed to load counts as one failure, so a broken file can never look like a green run.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\ntests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
