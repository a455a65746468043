using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

// The baseline of bench/status-page/run.sh: the same bytes CommsHub serves for "/" and
// "/api/v2/summary.json", with the same Content-Type, Cache-Control and CORS headers as
// CommsHub's StatusPageEndpoints.Serve.
//
//   dotnet StaticServer.dll --root <dir> --urls http://127.0.0.1:5091 [--mode static|memory]
//
// <dir>/index.html is served for "/" and <dir>/api/v2/summary.json for itself.
//  static (default): Kestrel's static file middleware (UseDefaultFiles + UseStaticFiles) reads the
//                    files from disk; it adds ETag and Last-Modified and answers If-None-Match with 304.
//  memory:           the files are read once at start and each path is a bare MapGet returning the
//                    bytes (ETag compared as a string): the floor for an in-memory endpoint, no other
//                    middleware.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var root = Path.GetFullPath(builder.Configuration["root"] ?? throw new InvalidOperationException("--root <dir> is required"));
var mode = builder.Configuration["mode"] ?? "static";
var app = builder.Build();

const string Html = "text/html; charset=utf-8";
const string Json = "application/json; charset=utf-8";
const string CacheControl = "public, max-age=5, must-revalidate";

if (mode == "memory")
{
    foreach (var (path, file, type, cors) in new[] { ("/", "index.html", Html, false), ("/api/v2/summary.json", "api/v2/summary.json", Json, true) })
    {
        var body = File.ReadAllBytes(Path.Combine(root, file));
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body))[..20] + "\"";
        var lastModified = File.GetLastWriteTimeUtc(Path.Combine(root, file)).ToString("R");
        app.MapGet(path, (HttpContext http) =>
        {
            var headers = http.Response.Headers;
            headers.ETag = etag;
            headers.LastModified = lastModified;
            headers.CacheControl = CacheControl;
            if (cors)
            {
                headers.AccessControlAllowOrigin = "*";
            }
            return http.Request.Headers.IfNoneMatch == etag ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(body, type);
        });
    }
}
else
{
    var files = new PhysicalFileProvider(root);
    var types = new FileExtensionContentTypeProvider();
    types.Mappings[".html"] = Html;
    types.Mappings[".json"] = Json;
    app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
    app.UseStaticFiles(new StaticFileOptions
    {
        FileProvider = files,
        ContentTypeProvider = types,
        OnPrepareResponse = ctx =>
        {
            var headers = ctx.Context.Response.Headers;
            headers.CacheControl = CacheControl;
            if (ctx.File.Name.EndsWith(".json", StringComparison.Ordinal))
            {
                headers.AccessControlAllowOrigin = "*";
            }
        },
    });
}

await app.RunAsync();
