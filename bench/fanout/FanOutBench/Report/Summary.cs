using System.Globalization;
using System.Text;
using FanOutBench.Baselines;

namespace FanOutBench.Report;

/// <summary>The markdown report: the figures per scenario, the ratios, the goals met or missed, then each run's detail.</summary>
public static class Summary
{
    private const double MiB = 1024 * 1024;

    public static string Markdown(BenchResults results)
    {
        var md = new StringBuilder();
        md.AppendLine("# Fan-out benchmark (bench/run.sh)").AppendLine();
        md.AppendLine(string.Join(" · ", results.Machine.Where(kv => kv.Value.Length > 0).Select(kv => $"{kv.Key}: {kv.Value}"))).AppendLine();
        md.AppendLine(string.Join(" · ", results.Settings.Where(kv => kv.Value.Length > 0).Select(kv => $"{kv.Key}: {kv.Value}"))).AppendLine();
        md.AppendLine($"Total time: {results.Seconds / 60:0.0} min.").AppendLine();

        var done = results.Scenarios.Where(s => s.Runs.Count > 0).ToList();
        if (done.Count > 0)
        {
            md.AppendLine("## Fan-out (median of the measured runs, min–max)").AppendLine();
            md.AppendLine("| scenario | recipients | runs | publish API 201 (ms) | publish → last provider request (s) | recipients/s | publish → all recorded (s) | idealised loop (s) | fan-out / ideal | exactly once |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
            foreach (var s in done)
            {
                var ideal = s.Ideal.Count > 0 ? Median(s.Ideal.Select(i => i.Seconds)) : double.NaN;
                var last = Median(s.Runs.Select(r => r.LastRequestS));
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {s.Name} | {s.Audience.Total:N0} | {s.Runs.Count} | {Range(s.Runs.Select(r => r.ApiMs), "0.0")} | **{Range(s.Runs.Select(r => r.LastRequestS), "0.000")}** | " +
                    $"{Median(s.Runs.Select(r => r.RecipientsPerSecond)):N0} | {Range(s.Runs.Select(r => r.SettledS), "0.000")} | " +
                    $"{(double.IsNaN(ideal) ? "-" : Range(s.Ideal.Select(i => i.Seconds), "0.000"))} | {(double.IsNaN(ideal) ? "-" : $"**{last / ideal:0.00}×**")} | " +
                    $"{(s.Runs.All(r => r.ExactlyOnce) && (s.Warmup?.ExactlyOnce ?? true) ? "yes" : "**NO**")} |");
            }
            md.AppendLine();

            md.AppendLine("## Cost (median of the measured runs)").AppendLine();
            md.AppendLine("CPU seconds per 1,000 recipients during publish → all recorded; peak working set (VmHWM, reset before each run; the highest run); " +
                          "database commits per 1,000 recipients (pg_stat_database `xact_commit` of the CommsHub database, less the driver's own queries, " +
                          "less the idle background rate × the window; raw in brackets).").AppendLine();
            md.AppendLine("| scenario | CPU s / 1,000: api | worker | postgres | rabbitmq | driver + fakes | other processes (CPU s, whole run) | peak WS api (MiB) | peak WS worker (MiB) | commits / 1,000, exact (traced run) | commits / 1,000, estimate: net (raw) | background commits/s |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var s in done)
            {
                var k = s.Audience.Total / 1000.0;
                string Cpu(string group) => Median(s.Runs.Select(r => r.Cpu[group] / k)).ToString("0.000", CultureInfo.InvariantCulture);
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {s.Name} | {Cpu("api")} | {Cpu("worker")} | {Cpu("postgres")} | {Cpu("rabbitmq")} | {Cpu("driver")} | {Median(s.Runs.Select(r => r.Cpu["other"])):0.0} of {Median(s.Runs.Select(r => r.Cpu["capacity"])):0.0} | " +
                    $"{Mib(s.Runs.Max(r => r.ApiPeakBytes))} | {Mib(s.Runs.Max(r => r.WorkerPeakBytes))} | " +
                    $"{(Exact(s) is { } exact ? $"**{exact:0.0}**" : "-")} | " +
                    $"{Median(s.Runs.Select(r => r.CommitsPer1000(s.Audience.Total))):0.0} ({Median(s.Runs.Select(r => r.CommitsRawPer1000(s.Audience.Total))):0.0}) | {s.BackgroundCommitsPerSecond:0.0} ± {s.BackgroundCommitsSpread:0.0} |");
            }
            md.AppendLine();
            md.AppendLine("The estimate subtracts CommsHub's idle commit rate (measured per scenario, ± half the spread between 5-second windows) × the window from " +
                          "pg_stat_database's count; the background is so large and bursty that the estimate can be off by more than the fan-out's own commits. " +
                          "The exact figure comes from one more fan-out with the statement log on (below).").AppendLine();
            var traced = done.Where(s => s.Traced?.Transactions is not null).ToList();
            if (traced.Count > 0)
            {
                md.AppendLine("Committed transactions of the traced run (PostgreSQL statement log, publish → all recorded + 2 s), per 1,000 recipients, " +
                              "with the SQL time PostgreSQL logged for them (ms per 1,000 recipients, after the ·); " +
                              "`background:` rows run with or without a fan-out and are not counted:").AppendLine();
                var categories = traced.SelectMany(s => s.Traced!.Transactions!.Keys).Distinct()
                    .OrderBy(c => c.StartsWith(CommitTraceBackground, StringComparison.Ordinal)).ThenBy(c => c, StringComparer.Ordinal).ToList();
                md.AppendLine("| transactions per 1,000 recipients | " + string.Join(" | ", traced.Select(s => s.Name)) + " |");
                md.AppendLine("| --- |" + string.Concat(traced.Select(_ => " ---: |")));
                md.AppendLine("| **fan-out path, total** | " + string.Join(" | ", traced.Select(s => $"**{Exact(s):0.00}**")) + " |");
                foreach (var c in categories)
                {
                    md.AppendLine($"| {c} | " + string.Join(" | ", traced.Select(s => s.Traced!.Transactions!.TryGetValue(c, out var n)
                        ? (n / (s.Audience.Total / 1000.0)).ToString("0.00", CultureInfo.InvariantCulture)
                          + (s.Traced.SqlMilliseconds?.TryGetValue(c, out var ms) == true ? " · " + (ms / (s.Audience.Total / 1000.0)).ToString("0.0", CultureInfo.InvariantCulture) : "")
                        : "")) + " |");
                }
                md.AppendLine();
            }
            foreach (var s in done.Where(s => s.TraceNote is not null))
            {
                md.AppendLine($"{s.Name}: {s.TraceNote}.").AppendLine();
            }
            md.AppendLine("Importing the audience through `POST /api/subscribers/import` (webhooks: `POST /api/subscribers` one by one, 8 in flight):").AppendLine();
            foreach (var s in done)
            {
                md.AppendLine($"- {s.Name}: " + string.Join(", ", s.Import.Select(i => $"{i.Count:N0} {i.Channel} in {i.Seconds:0.0} s ({i.Count / Math.Max(i.Seconds, 0.001):N0}/s, {i.Requests:N0} requests)")) +
                    $"; API peak working set after the import {Mib(s.ApiPeakAfterImportBytes)} MiB; whole scenario {s.Seconds:0} s.");
            }
            md.AppendLine();
            foreach (var s in done.Where(s => s.Audience.Channels.Count > 1))
            {
                md.AppendLine($"{s.Name}, publish → last request per channel (median): " +
                    string.Join(", ", s.Audience.Channels.Select(c => $"{c} {Median(s.Runs.Select(r => r.LastRequestByChannelS[c] ?? double.NaN)):0.000} s")) +
                    (s.Ideal.Count > 0 ? "; idealised loop: " + string.Join(", ", s.Audience.Channels.Select(c => $"{c} {Median(s.Ideal.Select(i => i.SecondsByChannel[c])):0.000} s")) : "") + ".");
                md.AppendLine();
            }
            foreach (var s in done.Where(s => s.IdealUnbudgeted is not null))
            {
                md.AppendLine($"{s.Name}: the idealised loop without the SMS rate budget takes {s.IdealUnbudgeted!.Seconds:0.000} s " +
                    $"({string.Join(", ", s.IdealUnbudgeted.SecondsByChannel.Select(kv => $"{kv.Key} {kv.Value:0.000} s"))}); with it (as the table) " +
                    $"{Median(s.Ideal.Select(i => i.Seconds)):0.000} s.");
                md.AppendLine();
            }
        }

        var loads = results.Scenarios.Where(s => s.Load is not null).ToList();
        foreach (var s in loads)
        {
            var l = s.Load!;
            md.AppendLine($"## Publish API latency at {results.Settings["load"].Split(' ')[0]} requests/s ({s.Name})").AppendLine();
            md.AppendLine("`POST /api/incidents/{id}/updates` with `notify: false`, open loop (each request sent when due). " +
                          "Service time: from sending the request to the complete 201; from schedule: from when it was due.").AppendLine();
            md.AppendLine("| phase | requests | errors | p50 ms | p90 ms | p99 ms | max ms | p99 from schedule ms |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var p in new[] { l.Idle, l.During })
            {
                md.AppendLine($"| {p.Phase} | {p.Requests} | {p.Errors} | {p.P(50)} | {p.P(90)} | **{p.P(99)}** | {p.P(100)} | {p.PFromSchedule(99)} |");
            }
            md.AppendLine();
            var c = l.IdleCpu;
            md.AppendLine($"CPU seconds during the idle phase ({c["wall"]:0.0} s, {c["capacity"]:0.0} CPU-s available): api {c["api"]}, worker {c["worker"]}, " +
                $"PostgreSQL {c["postgres"]}, RabbitMQ {c["rabbitmq"]}, driver {c["driver"]}, other processes {c["other"]}; " +
                $"that is {(c["api"] + c["worker"] + c["postgres"] + c["rabbitmq"]) * 1000 / Math.Max(1, l.Idle.Requests):0.0} ms of CommsHub CPU per publish " +
                $"(api {c["api"] * 1000 / Math.Max(1, l.Idle.Requests):0.0} ms).").AppendLine();
            md.AppendLine($"The fan-out under that load: last provider request {l.FanOut.LastRequestS:0.000} s, all recorded {l.FanOut.SettledS:0.000} s, " +
                $"{(l.FanOut.ExactlyOnce ? "exactly once" : "NOT exactly once")}.").AppendLine();
        }

        if (results.Broker.Count > 0 || results.BrokerError is not null)
        {
            md.AppendLine("## MassTransit vs RabbitMQ.Client (same broker, confirms on, durable, persistent, prefetch 16)").AppendLine();
            if (results.Broker.Count > 0)
            {
                md.AppendLine("| publishing | client | messages | runs | publish all (s) | consume all (s) | msgs/s consumed | client CPU s | broker CPU s |");
                md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
                foreach (var g in results.Broker.GroupBy(b => (b.Window, b.Client)).OrderBy(g => g.Key.Window).ThenBy(g => g.Key.Client))
                {
                    md.AppendLine($"| {(g.Key.Window == 1 ? "awaited one by one" : $"{g.Key.Window} in flight")} | {g.Key.Client} | {g.First().Messages:N0} | {g.Count()} | " +
                        $"{Range(g.Select(b => b.PublishSeconds), "0.000")} | {Range(g.Select(b => b.ConsumeSeconds), "0.000")} | {g.First().Messages / Median(g.Select(b => b.ConsumeSeconds)):N0} | " +
                        $"{Median(g.Select(b => b.ClientCpuSeconds)):0.00} | {Median(g.Select(b => b.BrokerCpuSeconds)):0.00} |");
                }
                md.AppendLine();
                foreach (var w in results.Broker.Select(b => b.Window).Distinct())
                {
                    var mt = results.Broker.Where(b => b.Window == w && b.Client == "MassTransit").ToList();
                    var raw = results.Broker.Where(b => b.Window == w && b.Client != "MassTransit").ToList();
                    if (mt.Count > 0 && raw.Count > 0)
                    {
                        md.AppendLine($"- {(w == 1 ? "awaited one by one" : $"{w} in flight")}: MassTransit / raw = " +
                            $"{Median(mt.Select(b => b.PublishSeconds)) / Median(raw.Select(b => b.PublishSeconds)):0.00}× to publish, " +
                            $"{Median(mt.Select(b => b.ConsumeSeconds)) / Median(raw.Select(b => b.ConsumeSeconds)):0.00}× to consume everything, " +
                            $"{Median(mt.Select(b => b.ClientCpuSeconds)) / Math.Max(0.01, Median(raw.Select(b => b.ClientCpuSeconds))):0.0}× the client CPU.");
                    }
                }
                md.AppendLine();
            }
            if (results.BrokerError is not null)
            {
                md.AppendLine($"Broker comparison failed: {results.BrokerError}").AppendLine();
            }
        }

        var campaigns = results.Scenarios.Where(s => s.Campaign.Count > 0).ToList();
        if (campaigns.Count > 0)
        {
            md.AppendLine("## Compensation campaigns (median of the runs, min–max; each run from a fresh database and fresh processes)").AppendLine();
            md.AppendLine("Imports: the CSV streamed in one request → 201. Send: after the send call was sent; codes assigned by: the last `campaign_codes.assigned_at`; " +
                          "planned by: the campaign's `sent_at` (every delivery written); start → last request: the first import request → the last SendGrid request. " +
                          "Peak working set: VmHWM over the process's life (imports and send). Exactly once: every customer once at the fake, every code once, " +
                          "each customer's email carrying the code the database assigned them, one delivery each, sent at the first attempt.").AppendLine();
            md.AppendLine("| scenario | runs | audience import (s) | codes import (s) | send 202 (ms) | codes assigned by (s) | planned by (s) | send → last provider request (s) | send → all recorded (s) | start → last request (s) | peak WS api: imports / all (MiB) | peak WS worker (MiB) | CPU s send api / worker / pg | exactly once |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
            foreach (var s in campaigns.Where(s => s.Campaign.Any(r => r.Kind == "measured")))
            {
                var c = s.Campaign.Where(r => r.Kind == "measured").ToList();
                string Cpu(string group) => Median(c.Select(r => r.Cpu[group])).ToString("0.0", CultureInfo.InvariantCulture);
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {s.Name} | {c.Count} | {Range(c.Select(r => r.AudienceImportS), "0.00")} | {Range(c.Select(r => r.CodesImportS), "0.00")} | {Range(c.Select(r => r.SendApiMs), "0")} | " +
                    $"{Range(c.Select(r => r.LastAssignedS ?? double.NaN), "0.0")} | {Range(c.Select(r => r.PlannedS ?? double.NaN), "0.0")} | **{Range(c.Select(r => r.LastRequestS), "0.00")}** | " +
                    $"{Range(c.Select(r => r.SettledS), "0.00")} | {Range(c.Select(r => r.StartToLastRequestS), "0.0")} | {Mib(c.Max(r => r.ApiPeakImportBytes))} / {Mib(c.Max(r => r.ApiPeakBytes))} | " +
                    $"{Mib(c.Max(r => r.WorkerPeakBytes))} | {Cpu("api")} / {Cpu("worker")} / {Cpu("postgres")} | {(c.All(r => r.ExactlyOnce) ? "yes" : "**NO**")} |");
            }
            md.AppendLine();
            md.AppendLine("| scenario | run | audience MB | codes MB | import CPU s api / pg | SendGrid requests | fake: recipients (unique) | codes (unique) | campaign_codes rows / members / codes | deliveries / sent / max attempts | problems |");
            md.AppendLine("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- | --- |");
            foreach (var s in campaigns)
            {
                foreach (var r in s.Campaign)
                {
                    var k = r.Check;
                    md.AppendLine(CultureInfo.InvariantCulture,
                        $"| {s.Name} | {(r.Kind == "measured" ? r.Run.ToString(CultureInfo.InvariantCulture) : r.Kind)} | {r.AudienceBytes / 1e6:0.0} | {r.CodesBytes / 1e6:0.0} | {r.ImportCpu["api"]} / {r.ImportCpu["postgres"]} | {r.Requests:N0} | " +
                        $"{k.FakeRecipients.Recipients:N0} ({k.FakeRecipients.Unique:N0}) | {k.FakeCodes.Recipients:N0} ({k.FakeCodes.Unique:N0}) | {k.Assigned:N0} / {k.AssignedMembers:N0} / {k.AssignedCodes:N0} | " +
                        $"{k.Deliveries:N0} / {k.Sent:N0} / {k.MaxAttempts} | {(k.Problems.Count == 0 ? "none" : string.Join("; ", k.Problems))} |");
                }
            }
            md.AppendLine();
            var traced = campaigns.Select(s => (s, Run: s.Campaign.FirstOrDefault(r => r.Transactions is not null))).Where(x => x.Run is not null).ToList();
            if (traced.Count > 0)
            {
                md.AppendLine("Committed transactions of the traced campaign run (PostgreSQL statement log, send → all recorded + 2 s), per 1,000 recipients, " +
                              "with the SQL time PostgreSQL logged for them (ms per 1,000 recipients, after the ·); `background:` rows run anyway:").AppendLine();
                md.AppendLine("| transactions per 1,000 recipients | " + string.Join(" | ", traced.Select(x => x.s.Name)) + " |");
                md.AppendLine("| --- |" + string.Concat(traced.Select(_ => " ---: |")));
                foreach (var cat in traced.SelectMany(x => x.Run!.Transactions!.Keys).Distinct()
                             .OrderBy(c => c.StartsWith(CommitTraceBackground, StringComparison.Ordinal)).ThenBy(c => c, StringComparer.Ordinal))
                {
                    md.AppendLine($"| {cat} | " + string.Join(" | ", traced.Select(x =>
                    {
                        var k = x.s.Audience.Total / 1000.0;
                        return x.Run!.Transactions!.TryGetValue(cat, out var n)
                            ? (n / k).ToString("0.00", CultureInfo.InvariantCulture) + " · " + (x.Run.SqlMilliseconds!.GetValueOrDefault(cat) / k).ToString("0.0", CultureInfo.InvariantCulture)
                            : "";
                    })) + " |");
                }
                md.AppendLine();
            }
        }

        md.AppendLine("## Goals").AppendLine();
        md.AppendLine("| goal | measured | |");
        md.AppendLine("| --- | --- | --- |");
        foreach (var (goal, measured, met) in Goals(results))
        {
            md.AppendLine($"| {goal} | {measured} | {(met is null ? "not measured" : met.Value ? "met" : "**missed**")} |");
        }
        md.AppendLine();

        md.AppendLine("## Runs").AppendLine();
        md.AppendLine("Times in ms after the publish request was sent. Planned: the deliveries' `created_at` (first/last batch written by the planner); " +
                      "request: read by the fake; recorded: the deliveries' `sent_at`. CPU seconds during publish → all recorded.").AppendLine();
        md.AppendLine("| scenario | run | channel | API 201 | first planned | last planned | first request | last request | first recorded | last recorded | requests | bytes/request | CPU api / worker / pg / rabbit / driver / other | commits raw / net |");
        md.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach (var s in results.Scenarios)
        {
            var all = new[] { s.Warmup }.Concat(s.Runs).Concat([s.Load?.FanOut, s.Traced]).Where(r => r is not null).Select(r => r!);
            foreach (var r in all)
            {
                foreach (var c in r.Channels)
                {
                    md.AppendLine(CultureInfo.InvariantCulture,
                        $"| {s.Name} | {(r.Kind == "measured" ? r.Run.ToString(CultureInfo.InvariantCulture) : r.Kind)}{(r.ExactlyOnce ? "" : " (NOT exactly once)")} | {c.Channel} | {r.ApiMs:0.0} | {F(c.FirstPlannedMs)} | {F(c.LastPlannedMs)} | " +
                        $"{F(c.FirstRequestMs)} | {F(c.LastRequestMs)} | {F(c.FirstSentRecordedMs)} | {F(c.LastSentRecordedMs)} | {c.Fake.Requests:N0} | {c.Fake.Bytes / Math.Max(1, c.Fake.Requests):N0} | " +
                        $"{r.Cpu["api"]} / {r.Cpu["worker"]} / {r.Cpu["postgres"]} / {r.Cpu["rabbitmq"]} / {r.Cpu["driver"]} / {r.Cpu["other"]} | {r.CommitsRaw} / {r.CommitsNet} |");
                }
            }
        }
        md.AppendLine();

        var problems = results.Scenarios.Where(s => s.Error is not null || s.ErrorQueues.Values.Any(v => v > 0) || s.LogProblems.Values.Any(v => v.Count > 0)).ToList();
        if (problems.Count > 0)
        {
            md.AppendLine("## Problems and log lines").AppendLine();
            foreach (var s in problems)
            {
                if (s.Error is not null)
                {
                    md.AppendLine($"- **{s.Name} failed**: {s.Error}");
                }
                foreach (var (q, n) in s.ErrorQueues.Where(kv => kv.Value > 0))
                {
                    md.AppendLine($"- {s.Name}: {n} message(s) in `{q}`");
                }
                foreach (var (process, lines) in s.LogProblems.Where(kv => kv.Value.Count > 0))
                {
                    md.AppendLine($"- {s.Name}, {process}.log warn/fail lines: " + string.Join(" · ", lines.Select(l => $"`{l.Replace('|', '/')}`")));
                }
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    private static IEnumerable<(string Goal, string Measured, bool? Met)> Goals(BenchResults results)
    {
        ScenarioResult? S(string name) => results.Scenarios.FirstOrDefault(s => s.Name == name && s.Runs.Count > 0);

        foreach (var (name, limit) in new[] { ("email-100k", 5.0), ("email-1m", 60.0) })
        {
            var s = S(name);
            var v = s is null ? double.NaN : Median(s.Runs.Select(r => r.LastRequestS));
            yield return ($"{name}: publish → last SendGrid request ≤ {limit:0} s", s is null ? "-" : $"{v:0.00} s", s is null ? null : v <= limit);
        }
        foreach (var s in results.Scenarios.Where(s => s.Runs.Count > 0 && s.Ideal.Count > 0))
        {
            var ratio = Median(s.Runs.Select(r => r.LastRequestS)) / Median(s.Ideal.Select(i => i.Seconds));
            yield return ($"{s.Name}: ≤ 1.5× the idealised HttpClient loop", $"{ratio:0.00}×", ratio <= 1.5);
        }
        var m = S("email-1m");
        if (m is null)
        {
            yield return ("email-1m: peak working set ≤ 1 GiB (api and worker)", "-", null);
        }
        else
        {
            var peak = Math.Max(m.Runs.Max(r => r.ApiPeakBytes) ?? 0, m.Runs.Max(r => r.WorkerPeakBytes) ?? 0);
            yield return ("email-1m: peak working set ≤ 1 GiB (api and worker, during the fan-out)",
                $"api {Mib(m.Runs.Max(r => r.ApiPeakBytes))} MiB, worker {Mib(m.Runs.Max(r => r.WorkerPeakBytes))} MiB", peak <= 1024 * MiB);
            if (m.ApiPeakAfterImportBytes is { } imp)
            {
                yield return ("email-1m: API peak working set during the import of 1,000,000 (same limit, for information)", $"{Mib(imp)} MiB", imp <= 1024 * MiB);
            }
        }
        foreach (var s in results.Scenarios.Where(s => s.Runs.Count > 0))
        {
            var estimate = Median(s.Runs.Select(r => r.CommitsPer1000(s.Audience.Total)));
            yield return Exact(s) is { } exact
                ? ($"{s.Name}: ≤ 1 database commit per 1,000 recipients on the fan-out path", $"{exact:0.0} (exact, traced run)", exact <= 1)
                : ($"{s.Name}: ≤ 1 database commit per 1,000 recipients on the fan-out path", $"≈ {estimate:0.0} (estimate, no traced run)", estimate <= 1);
        }
        foreach (var s in results.Scenarios.Where(s => s.Name == "campaign-1m" && s.Campaign.Any(r => r.Kind == "measured")))
        {
            var c = s.Campaign.Where(r => r.Kind == "measured").ToList();
            var import = Median(c.Select(r => r.AudienceImportS + r.CodesImportS));
            yield return ("campaign-1m: import (1,000,000 customers + 1,000,000 codes) ≤ 30 s", $"{import:0.0} s (median)", import <= 30);
            var send = Median(c.Select(r => r.LastRequestS));
            yield return ("campaign-1m: send → last SendGrid request ≤ 60 s", $"{send:0.0} s (median)", send <= 60);
            var peak = Math.Max(c.Max(r => r.ApiPeakBytes) ?? 0, c.Max(r => r.WorkerPeakBytes) ?? 0);
            yield return ("campaign-1m: peak working set ≤ 1 GiB (api and worker, imports and send)",
                $"api {Mib(c.Max(r => r.ApiPeakBytes))} MiB, worker {Mib(c.Max(r => r.WorkerPeakBytes))} MiB", peak <= 1024 * MiB);
        }
        var campaignRuns = results.Scenarios.SelectMany(s => s.Campaign).ToList();
        if (campaignRuns.Count > 0)
        {
            yield return ("campaigns: every customer once, every code once, each with their own code", $"{campaignRuns.Count(r => r.ExactlyOnce)} of {campaignRuns.Count} runs",
                campaignRuns.All(r => r.ExactlyOnce));
        }
        var load = results.Scenarios.FirstOrDefault(s => s.Load is not null)?.Load;
        yield return ("publish API p99 ≤ 25 ms idle (100 requests/s)", load is null ? "-" : $"{load.Idle.P(99)} ms", load is null ? null : load.Idle.P(99) <= 25);
        yield return ("publish API p99 ≤ 50 ms during a 100k fan-out (100 requests/s)", load is null ? "-" : $"{load.During.P(99)} ms", load is null ? null : load.During.P(99) <= 50);
        var everyRun = results.Scenarios.SelectMany(s => new[] { s.Warmup, s.Load?.FanOut, s.Traced }.Concat(s.Runs)).Where(r => r is not null).ToList();
        yield return ("every recipient exactly once, every delivery settled (every run incl. warm-up, under load and traced)",
            $"{everyRun.Count(r => r!.ExactlyOnce)} of {everyRun.Count} runs", everyRun.Count == 0 ? null : everyRun.All(r => r!.ExactlyOnce));
    }

    private const string CommitTraceBackground = Measure.CommitTrace.Background;

    private static double? Exact(ScenarioResult s) =>
        s.Traced?.Transactions is { } t ? Math.Round(Measure.CommitTrace.FanOutTotal(t) / (s.Audience.Total / 1000.0), 2) : null;

    public static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).Order().ToList();
        return v.Count == 0 ? double.NaN : v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    private static string Range(IEnumerable<double> values, string format)
    {
        var v = values.ToList();
        return v.Count == 1
            ? v[0].ToString(format, CultureInfo.InvariantCulture)
            : $"{Median(v).ToString(format, CultureInfo.InvariantCulture)} ({v.Min().ToString(format, CultureInfo.InvariantCulture)}–{v.Max().ToString(format, CultureInfo.InvariantCulture)})";
    }

    private static string Mib(long? bytes) => bytes is { } b ? (b / MiB).ToString("0", CultureInfo.InvariantCulture) : "-";

    private static string F(double? ms) => ms is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "-";
}
