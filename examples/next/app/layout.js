import "./style.css";

export const metadata = {
  title: "Gift shop — tastebud with Next.js",
};

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
