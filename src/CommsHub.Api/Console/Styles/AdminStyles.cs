namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>The components, maintenances, API keys and operators pages: rules beyond the console's base stylesheet.</summary>
internal static class AdminStyles
{
    public const string Css = """
        .card>h2:first-child{margin-top:0}.badge{white-space:nowrap}
        .vh{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
        td.row-actions{min-width:220px}td.row-actions form{margin:0 0 6px}td.row-actions button{margin-top:4px;padding:6px 12px}
        td.row-actions details{margin:4px 0}td.row-actions details form{padding:4px 0 8px}
        .move{display:flex;gap:8px}.move form{margin:0}.move button{min-width:4.5em}
        button:disabled{opacity:.45;cursor:not-allowed}
        form.inline{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:center}form.inline select{width:auto;flex:1 1 10em}form.inline button{margin-top:0}
        form.inline .field-error{flex-basis:100%}
        .checks{display:flex;flex-wrap:wrap;gap:4px 16px}.checks label{display:flex;gap:6px;align-items:center;font-weight:400;margin:4px 0}.checks .scope{white-space:nowrap;font-weight:600}
        .when{display:flex;flex-wrap:wrap;gap:0 16px}.when>div{flex:1 1 14em}
        table.calendar{table-layout:fixed}table.calendar th,table.calendar td{width:14.28%;padding:4px;border:1px solid var(--line)}
        table.calendar td{height:5.5em}table.calendar td.other{color:var(--muted);background:var(--bg)}table.calendar td.today{outline:2px solid var(--accent);outline-offset:-2px}
        table.calendar .day{display:block;font-weight:600;font-size:.85rem}table.calendar ul{list-style:none;margin:0;padding:0}
        table.calendar li{font-size:.8rem;line-height:1.25;border-left:3px solid var(--maint);padding-left:4px;margin:2px 0;overflow-wrap:anywhere}
        table.calendar li.cancelled{border-left-color:var(--muted);text-decoration:line-through}
        .cal-nav h2{margin-top:0}.cal-nav{display:flex;justify-content:space-between;align-items:center;gap:8px;flex-wrap:wrap}
        @media (max-width:600px){table.calendar td{height:3.2em}table.calendar li .t{display:none}table.calendar li{width:.7em;height:.7em;border:0;border-radius:50%;background:var(--maint);display:inline-block;margin:1px}
        table.calendar li.cancelled{background:var(--muted)}table.calendar th{font-size:.75rem}}
        @media (max-width:700px){table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
        table.stack,table.stack tbody,table.stack tr,table.stack th,table.stack td{display:block;width:auto}table.stack tr{border-bottom:1px solid var(--line);padding:8px 0}
        table.stack th,table.stack td{border:0;padding:2px 0;text-align:left}table.stack td.num{text-align:left}
        table.stack td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-weight:600;font-size:.85rem}td.row-actions{min-width:0}}
        """;
}
