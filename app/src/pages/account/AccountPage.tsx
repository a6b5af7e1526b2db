export default function AccountPage() {
  return <h1>My jobs</h1>;
}
