namespace CommsHub.Api.OperatorConsole;

/// <summary>
/// The console's stylesheet: the status page's colour tokens and dark mode, served from this host
/// as a file (no inline styles, so the pages fit a style policy of 'self'). Links take a darker
/// blue than the accent in light mode: the accent on the page background is just under 4.5:1.
/// </summary>
internal static class ConsoleStyles
{
    public const string Path = "/console.css";

    /// <summary>The whole stylesheet: the base below, then each area's own rules (one file per area under Styles/).</summary>
    public const string Css = Base + Styles.ComposeStyles.Css + Styles.IncidentStyles.Css + Styles.RecordStyles.Css + Styles.AdminStyles.Css + Styles.CampaignStyles.Css;

    private const string Base = """
        :root{color-scheme:light dark;--fg:#1f2328;--muted:#57606a;--bg:#f6f7f9;--card:#fff;--line:#d0d7de;--accent:#1f6feb;
        --ok:#1a7f37;--minor:#9a6700;--major:#bc4c00;--critical:#cf222e;--maint:#0969da;--link:#0969da}
        @media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;--accent:#4493f8;
        --ok:#3fb950;--minor:#d29922;--major:#db6d28;--critical:#f85149;--maint:#58a6ff;--link:#4493f8}}
        *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
        header,main{max-width:1200px;margin:0 auto;padding:16px}header{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap}
        header a.home{color:var(--fg);text-decoration:none;font-weight:700;font-size:1.25rem}
        a{color:var(--link)}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:0 0 16px;overflow-wrap:anywhere}
        .narrow{max-width:440px;margin-left:auto;margin-right:auto}
        h1{font-size:1.5rem;margin:0 0 12px}h2{font-size:1.15rem;margin:16px 0 8px}p{margin:8px 0}
        .muted{color:var(--muted);font-size:.9rem}
        label{display:block;margin:12px 0 4px;font-weight:600}
        label.check{display:flex;gap:8px;align-items:center;font-weight:400;margin:8px 0}label.check input{width:auto;margin:0}
        input:not([type]),input[type=email],input[type=password],input[type=text]{width:100%;padding:8px 10px;border:1px solid var(--muted);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}
        input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
        input.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:.2em;max-width:12em}
        button,.button{display:inline-block;font:inherit;padding:10px 18px;border-radius:6px;border:0;background:var(--accent);color:#fff;font-weight:600;cursor:pointer;margin-top:16px;text-decoration:none}
        @media (prefers-color-scheme:dark){button,.button{color:#0d1117}}
        button.secondary,.button.secondary{background:transparent;color:var(--link);border:1px solid var(--link)}
        .actions{display:flex;gap:8px 16px;flex-wrap:wrap;align-items:center;margin-top:16px}.actions button,.actions .button{margin-top:0}
        .error{border-left:4px solid var(--critical);padding:8px 12px;background:var(--bg);margin:12px 0}
        .notice{border-left:4px solid var(--ok);padding:8px 12px;background:var(--bg);margin:12px 0}
        .secret{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:1.05rem;word-break:break-all}
        .qr{width:200px;max-width:100%;background:#fff;padding:8px;border-radius:6px;margin:8px 0}.qr svg{display:block;width:100%;height:auto}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}dt{color:var(--muted)}dd{margin:0}
        details{margin:8px 0}summary{cursor:pointer;color:var(--link)}
        .skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:var(--card);padding:8px;z-index:10}
        nav.console{max-width:1200px;margin:0 auto;padding:0 16px 8px}nav.console ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 4px;margin:0;padding:0}
        nav.console a{display:inline-block;padding:6px 10px;border-radius:6px;text-decoration:none}nav.console a[aria-current=page]{background:var(--card);border:1px solid var(--line);color:var(--fg);font-weight:600}
        .who{display:flex;gap:12px;align-items:center;flex-wrap:wrap}.who form button{margin:0;padding:6px 12px}
        table{width:100%;border-collapse:collapse;font-size:.95rem}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
        th{color:var(--muted);font-weight:600}.table-wrap{overflow-x:auto}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        .badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid currentColor}
        .badge.ok,.s-operational,.s-sent,.s-delivered{color:var(--ok)}.badge.minor,.s-degraded_performance,.s-minor,.s-queued{color:var(--minor)}
        .badge.major,.s-partial_outage,.s-major{color:var(--major)}.badge.critical,.s-major_outage,.s-critical,.s-failed{color:var(--critical)}.s-under_maintenance,.s-maintenance{color:var(--maint)}
        .field-error{color:var(--critical);font-size:.9rem;margin:4px 0 0}input[aria-invalid=true],textarea[aria-invalid=true],select[aria-invalid=true]{border-color:var(--critical)}
        textarea,select{width:100%;padding:8px 10px;border:1px solid var(--muted);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}textarea{min-height:8em}
        input[type=search],input[type=number],input[type=datetime-local],input[type=file],input[type=url],input[type=tel]{padding:8px 10px;border:1px solid var(--muted);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit;max-width:100%}
        select:focus-visible,textarea:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
        fieldset{border:1px solid var(--line);border-radius:6px;margin:12px 0;padding:8px 12px}legend{font-weight:600;padding:0 4px}
        .grid{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(280px,1fr))}.filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end}.filters label{margin:0 0 4px}
        .pager{display:flex;gap:16px;margin:12px 0}button.danger{background:var(--critical)}button.link{background:none;border:0;color:var(--link);padding:0;margin:0;text-decoration:underline;font-weight:400}
        footer.console{max-width:1200px;margin:0 auto;padding:8px 16px 24px}
        time[title]{text-decoration:underline dotted}
        .sep{display:flex;align-items:center;gap:8px;color:var(--muted);margin:16px 0 0}.sep::before,.sep::after{content:"";flex:1;border-top:1px solid var(--line)}
        """;
}
