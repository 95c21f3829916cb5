// Reads every record of a topic with the Java client (kafka-clients) and prints one line per record:
// "<partition> <offset> <hex key> <hex value>", then "END <count>". Run as a single-file program:
//   java -cp <kafka classpath> ConsumeTopic.java <brokers> <topic> <expected count>
import java.time.Duration;
import java.util.HexFormat;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ConsumeTopic {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("group.id", "floe-java-reader-" + System.nanoTime());
    props.put("auto.offset.reset", "earliest");
    props.put("enable.auto.commit", "false");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    int expected = Integer.parseInt(args[2]);
    HexFormat hex = HexFormat.of();
    long deadline = System.currentTimeMillis() + 60_000;
    int n = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(java.util.List.of(args[1]));
      while (n < expected && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          String key = r.key() == null ? "-" : hex.formatHex(r.key());
          String value = r.value() == null ? "-" : hex.formatHex(r.value());
          System.out.println(r.partition() + " " + r.offset() + " " + key + " " + value);
          n++;
        }
      }
    }
    System.out.println("END " + n);
  }
}
