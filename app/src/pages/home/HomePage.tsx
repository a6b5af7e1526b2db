export default function HomePage() {
  return <h1>Recent jobs</h1>;
}
