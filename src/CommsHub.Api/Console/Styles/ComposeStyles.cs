namespace CommsHub.Api.OperatorConsole.Styles;

/// <summary>
/// The compose page and its live preview: the form beside the preview on a wide screen, the media side
/// by side in the preview, one column each at phone width.
/// </summary>
internal static class ComposeStyles
{
    public const string Css = """
        .compose{display:grid;gap:16px;grid-template-columns:minmax(0,5fr) minmax(0,7fr);align-items:start}
        @media (max-width:960px){.compose{grid-template-columns:minmax(0,1fr)}}
        .compose .card{margin:0}.compose-pair{display:grid;gap:0 16px;grid-template-columns:1fr 1fr}
        .template-row{display:flex;gap:8px;align-items:center}.template-row select{flex:1}.template-row button{margin:0;white-space:nowrap}
        .component-row label{font-weight:400}.component-row{margin-bottom:4px}
        .preview-grid{display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(260px,1fr))}
        .medium{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:0}.medium h3{margin:0 0 6px;font-size:1rem}
        .medium.wide{grid-column:1/-1}.medium.is-cut{border-color:var(--major)}
        .medium pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;padding:8px;background:var(--bg);border-radius:4px;font-size:.85rem;max-height:18em;overflow:auto}
        .medium .render{width:100%;height:22em;border:1px solid var(--line);border-radius:4px;background:#fff}.medium .render.tall{height:30em}
        .medium .cut,.medium .over{color:var(--critical);font-weight:600}
        .warnings{border-left:4px solid var(--major);padding:4px 12px;background:var(--bg);margin:0 0 12px}.warnings h3{margin:4px 0;font-size:1rem}
        .warnings ul,.preview-errors{margin:4px 0;padding-left:20px}
        .audience{margin:0 0 12px}.audience .count{display:inline-block;margin:0 0 0 8px;padding:0 8px;border:1px solid var(--line);border-radius:999px;font-size:.9rem}
        @media (max-width:480px){.compose-pair{grid-template-columns:1fr}.template-row{flex-wrap:wrap}}
        """;
}
