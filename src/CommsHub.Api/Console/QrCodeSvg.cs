using QRCoder;

namespace CommsHub.Api.OperatorConsole;

/// <summary>A QR code as inline SVG: no image request, no script, and sharp at any size.</summary>
internal static class QrCodeSvg
{
    public static string Of(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        // Dark on white whatever the colour scheme: scanners expect it.
        var svg = new SvgQRCode(data).GetGraphic(4, "#000000", "#ffffff", drawQuietZones: true, sizingMode: SvgQRCode.SizingMode.ViewBoxAttribute);
        // Decorative inside its labelled container: assistive technology reads the container's label.
        return svg.Replace("<svg ", "<svg aria-hidden=\"true\" focusable=\"false\" ", StringComparison.Ordinal);
    }
}
