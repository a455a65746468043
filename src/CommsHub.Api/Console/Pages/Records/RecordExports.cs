using System.Globalization;
using System.Text;
using CommsHub.Api.Infrastructure;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Subscribers;
using CsvHelper;
using CsvHelper.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.OperatorConsole.Pages.Records;

/// <summary>
/// The subscriber and audit downloads behind the console's "Export CSV" links, streamed one keyset
/// page per query like the delivery export (which the deliveries page links to directly: the admin
/// API accepts the operator's session). The filters are the page's own query string.
/// </summary>
internal static class RecordExports
{
    private const int PageSize = 5000;

    private static readonly CsvConfiguration CsvOptions = new(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.None, NewLine = "\r\n" };

    public static IEndpointRouteBuilder MapRecordExports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/console/subscribers/export.csv", Subscribers).RequireAuthorization(ConsolePolicies.Subscribers).ExcludeFromDescription();
        app.MapGet("/console/audit/export.csv", Audit).RequireAuthorization(ConsolePolicies.Admin).ExcludeFromDescription();
        return app;
    }

    private static Microsoft.AspNetCore.Http.HttpResults.PushStreamHttpResult Subscribers(string? q, string? match, string? channel, string? status, string? component,
        SubscriberService subscribers, IOptions<SmsOptions> sms, TimeProvider time, HttpContext http)
    {
        var errors = new FieldErrors();
        var filter = new SubscriberFilter(Query.Enum<Channel>(channel, "channel", errors), Query.Enum<SubscriberStatus>(status, "status", errors),
            Limit: PageSize, AddressPrefix: match != "exact", Component: Query.Id(component, "component", errors));
        if (!string.IsNullOrWhiteSpace(q))
        {
            var (c, address) = SubscriberSearch.Parse(q, match == "exact", filter.Channel, sms.Value.DefaultRegion);
            filter = filter with { Channel = c, Address = address };
        }
        errors.ThrowIfAny();
        var ct = http.RequestAborted;
        return Csv(http, "subscribers", time, ["id", "channel", "address", "status", "components", "createdAt", "confirmedAt", "unsubscribedAt"], async csv =>
        {
            Guid? after = null;
            do
            {
                var page = await subscribers.ListAsync(filter with { Cursor = after }, ct);
                foreach (var s in page.Items)
                {
                    Row(csv, s.Id.ToString(), s.Channel.ToWire(), DeliveryExport.Neutralize(s.Address), s.Status.ToWire(),
                        string.Join(';', s.Components.Select(x => x.ComponentId)), Time(s.CreatedAt), Time(s.ConfirmedAt), Time(s.UnsubscribedAt));
                    await csv.NextRecordAsync();
                }
                await csv.FlushAsync();
                after = page.NextCursor is null ? null : Guid.Parse(page.NextCursor);
            }
            while (after is not null);
        });
    }

    private static Microsoft.AspNetCore.Http.HttpResults.PushStreamHttpResult Audit(string? action, string? actor, string? subject, CommsHubDbContext db, TimeProvider time, HttpContext http)
    {
        var ct = http.RequestAborted;
        return Csv(http, "audit", time, ["id", "seq", "at", "actor", "action", "subject", "source", "data", "hash"], async csv =>
        {
            long after = 0;
            while (true)
            {
                var rows = await AuditQuery.Matching(db, action, actor, subject).Where(e => e.Id > after).OrderBy(e => e.Id).Take(PageSize).ToListAsync(ct);
                foreach (var e in rows)
                {
                    Row(csv, e.Id.ToString(CultureInfo.InvariantCulture), e.Seq?.ToString(CultureInfo.InvariantCulture) ?? "", Time(e.At),
                        DeliveryExport.Neutralize(e.Actor), e.Action, DeliveryExport.Neutralize(e.Subject), DeliveryExport.Neutralize(e.Source),
                        DeliveryExport.Neutralize(e.Data), e.Hash ?? "");
                    await csv.NextRecordAsync();
                }
                await csv.FlushAsync();
                if (rows.Count < PageSize)
                {
                    break;
                }
                after = rows[^1].Id;
            }
        });
    }

    private static Microsoft.AspNetCore.Http.HttpResults.PushStreamHttpResult Csv(HttpContext http, string name, TimeProvider time, string[] columns, Func<CsvWriter, Task> rows)
    {
        var stamp = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}-{stamp}.csv\"";
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Stream(async body =>
        {
            await using var text = new StreamWriter(body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
            await using var csv = new CsvWriter(text, CsvOptions);
            Row(csv, columns);
            await csv.NextRecordAsync();
            await rows(csv);
        }, DeliveryExport.ContentType);
    }

    private static void Row(CsvWriter csv, params string[] cells)
    {
        foreach (var cell in cells)
        {
            csv.WriteField(cell);
        }
    }

    private static string Time(DateTimeOffset? at) =>
        at?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture) ?? "";
}
