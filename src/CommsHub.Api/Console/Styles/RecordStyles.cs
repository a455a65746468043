namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>The subscribers, deliveries and audit pages: rules beyond the console's base stylesheet.</summary>
internal static class RecordStyles
{
    // Long addresses, ids and JSON wrap inside their cell rather than widening the table past a phone's screen.
    public const string Css = """
        .visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
        .list-head{display:flex;justify-content:space-between;align-items:center;gap:8px 16px;flex-wrap:wrap}.list-head h2{margin:0}.list-head .button{margin-top:0}
        td.address,td.mono,dd.mono,.mono{overflow-wrap:anywhere;word-break:break-word}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
        td.row-actions{white-space:nowrap}td.row-actions form{display:inline}td.row-actions button.link{margin-right:12px}
        td.last-error{max-width:28em;overflow-wrap:anywhere}
        pre.rendered{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px;margin:4px 0;max-height:32em;overflow:auto;font-size:.85rem}
        .confirm{border-color:var(--critical)}
        input.id-field{min-width:20em}
        @media (max-width:600px){input.id-field{min-width:0;width:100%}.filters>div{flex:1 1 100%}.filters select,.filters input{width:100%}td.row-actions{white-space:normal}
        table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}table.stack tr{display:block;border-bottom:1px solid var(--line);padding:6px 0}
        table.stack td{display:block;border:0;padding:2px 0;text-align:left}table.stack td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-size:.85rem}}
        """;
}
