// The fault suite breaks brokers, databases and processes on purpose and measures time-outs:
// its tests run one at a time, never beside each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
